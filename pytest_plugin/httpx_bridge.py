"""Translating between httpx and the contract engine, and acting out faults as httpx would see them.

Each connection fault (`mockserver.contract.injection.decision.DROPS_CONNECTION`) raises what an
httpx client really raises against the Flask server, with the same message, and never waits. An injected delay is not slept either; a delay longer than the
client's read timeout raises `httpx.ReadTimeout` at once, as the client would after waiting.

| fault       | httpx sees                                              |
|-------------|---------------------------------------------------------|
| `reset`     | `httpx.ReadError("[Errno 104] Connection reset by peer")` |
| `empty`     | `httpx.RemoteProtocolError("Server disconnected without sending a response.")` |
| `timeout`   | `httpx.ReadTimeout("timed out")`                        |
| `malformed` | the core's reply as is: 200 `application/json`, `MALFORMED_BODY` |
"""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.contract.header_fields import sendable_headers
from mockserver.contract.injection.decision import DROPS_CONNECTION
from mockserver.contract.messages import Incoming, Outgoing

__all__ = ["FAULT_ERRORS", "read_timeout", "to_incoming", "to_response"]

FAULT_ERRORS: dict[str, tuple[type[httpx.TransportError], str]] = {
    "reset": (httpx.ReadError, "[Errno 104] Connection reset by peer"),
    "empty": (httpx.RemoteProtocolError, "Server disconnected without sending a response."),
    "timeout": (httpx.ReadTimeout, "timed out"),
}
assert FAULT_ERRORS.keys() == DROPS_CONNECTION, "every connection fault needs its httpx error"


def to_incoming(request: httpx.Request, base_url: str, path: str) -> Incoming:
    """The engine's view of `request`, whose API path (below `base_url`) is `path`."""
    return Incoming(
        method=request.method,
        path=path,
        headers=dict(request.headers.items()),
        body=request.content,
        base_url=base_url,
        remote_addr=None,
        query=request.url.query.decode("ascii", "replace"),
    )


def read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for `request` in seconds (None: waits forever)."""
    timeouts: Any = request.extensions.get("timeout") or {}
    value = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(value) if isinstance(value, int | float) else None


def to_response(reply: Outgoing, request: httpx.Request) -> httpx.Response:
    """`reply` as an httpx response, or its fault raised as the matching httpx error."""
    timeout = read_timeout(request)
    if reply.delay_ms and timeout is not None and reply.delay_ms / 1000 > timeout:
        # The Flask face sleeps first and the client gives up; here that outcome comes at once.
        raise httpx.ReadTimeout("timed out", request=request)
    if reply.fault in FAULT_ERRORS:
        kind, message = FAULT_ERRORS[reply.fault]
        raise kind(message, request=request)
    headers = sendable_headers(reply.headers)  # as every live face writes them: none unchecked
    if request.method.upper() == "HEAD":
        # The GET's headers, its length included, and no body: as the live face answers.
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        headers.append(("Content-Length", str(len(reply.body))))
        return httpx.Response(reply.status, headers=headers, content=b"", request=request)
    return httpx.Response(reply.status, headers=headers, content=reply.body, request=request)
