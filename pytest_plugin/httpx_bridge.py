"""Acting out the engine's `Outgoing` as an httpx client would see it (the respx route's answer).

Each connection fault (`mockserver.contract.injection.decision.DROPS_CONNECTION`) raises
what an httpx client really raises against the live server, with the same message, and
never waits. Delays are not slept: `client_seam.wait_outcome` says whether the client's
read timeout would have fired first.

| fault       | httpx sees                                              |
|-------------|---------------------------------------------------------|
| `reset`     | `httpx.ReadError("[Errno 104] Connection reset by peer")` |
| `empty`     | `httpx.RemoteProtocolError("Server disconnected without sending a response.")` |
| `timeout`   | `httpx.ReadTimeout("timed out")` (`HangsForeverError` when the read timeout is None) |
| `malformed` | the core's reply as is: 200 `application/json`, `MALFORMED_BODY` |
"""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.contract.injection.decision import DROPS_CONNECTION
from mockserver.contract.messages import Outgoing
from pytest_plugin.client_seam import Wait, Where, framed, hangs_forever, wait_outcome

__all__ = ["FAULT_ERRORS", "read_timeout", "to_response"]

FAULT_ERRORS: dict[str, tuple[type[httpx.TransportError], str]] = {
    "reset": (httpx.ReadError, "[Errno 104] Connection reset by peer"),
    "empty": (httpx.RemoteProtocolError, "Server disconnected without sending a response."),
    "timeout": (httpx.ReadTimeout, "timed out"),
}
assert FAULT_ERRORS.keys() == DROPS_CONNECTION, "every connection fault needs its httpx error"


def read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for `request` in seconds (None: waits forever)."""
    timeouts: Any = request.extensions.get("timeout") or {}
    value = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(value) if isinstance(value, int | float) else None


def to_response(reply: Outgoing, request: httpx.Request, where: Where) -> httpx.Response:
    """`reply` as an httpx response, or its fault raised as the matching httpx error."""
    wait = wait_outcome(reply, read_timeout(request))
    if wait is Wait.FOREVER:
        raise hangs_forever("httpx", request.method, where.path)
    if wait is Wait.TIMEOUT:
        raise httpx.ReadTimeout("timed out", request=request)
    if reply.fault in FAULT_ERRORS:
        kind, message = FAULT_ERRORS[reply.fault]
        raise kind(message, request=request)
    headers, body = framed(reply, request.method)
    return httpx.Response(reply.status, headers=headers, content=body, request=request)
