"""Serving `requests` from `VideoAPI`: the engine's `Outgoing` acted out as requests would see it, through `responses`.

`responses` (getsentry's, kept) patches `HTTPAdapter.send`, so module functions, `Session`s
and every adapter mounted by default reach it. Two routes are added to its default mock:
one that sends URLs named as real over the network untouched (`passthrough`), one that
answers the URLs `VideoAPI.where` owns. A request no route matches (the fake's or the
test's own) gets responses' `ConnectionError` ("Connection refused by Responses"), so
nothing unexpected reaches the network.

Faults raise what requests raises against the live server, message for message (measured
against a real socket, `tests/plugin/test_client_bridges.py` keeps them equal):

| fault       | requests sees |
|-------------|---------------|
| `reset`     | `ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))` |
| `empty`     | `ConnectionError(ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed connection without response')))` |
| `timeout`   | `ReadTimeout(ReadTimeoutError("HTTPSConnectionPool(host=..., port=...): Read timed out. (read timeout=T)"))`; with no timeout set, `HangsForeverError` |
| `malformed` | a 200 `application/json` response whose body is truncated JSON; `.json()` raises `requests.exceptions.JSONDecodeError` |
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from http.client import RemoteDisconnected
from typing import Any

import responses
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout
from urllib3 import HTTPConnectionPool, HTTPHeaderDict, HTTPResponse, HTTPSConnectionPool
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util import Timeout, parse_url

from mockserver.contract.messages import Outgoing
from pytest_plugin.client_seam import (
    LET_THROUGH,
    Exchanger,
    Wait,
    Where,
    framed,
    hangs_forever,
    reason_phrase,
    wait_outcome,
)

__all__ = ["RequestsBridge", "read_timeout", "to_urllib3_response"]


def read_timeout(request: PreparedRequest) -> float | None:
    """The read timeout the call set (`timeout=5`, `(connect, read)` or a urllib3 `Timeout`), or None."""
    timeout: Any = getattr(request, "req_kwargs", {}).get("timeout")
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    elif isinstance(timeout, Timeout):
        timeout = timeout.read_timeout
    return timeout if isinstance(timeout, int | float) else None


def _fault(reply: Outgoing, request: PreparedRequest, where: Where) -> Exception | None:
    """The exception requests raises for `reply`'s fault or its timed-out wait, or None for a reply."""
    limit = read_timeout(request)
    wait = wait_outcome(reply, limit)
    if wait is Wait.FOREVER:
        return hangs_forever("requests", str(request.method), where.path)
    if wait is Wait.TIMEOUT:
        url = parse_url(str(request.url))
        pool_type = HTTPSConnectionPool if url.scheme == "https" else HTTPConnectionPool
        port = url.port or (443 if url.scheme == "https" else 80)  # as urllib3 names a pool for the default port
        pool = pool_type(url.host or "", port)  # only named in the message, never connected
        return ReadTimeout(ReadTimeoutError(pool, None, f"Read timed out. (read timeout={limit})"), request=request)
    if reply.fault == "reset":
        aborted = ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        return RequestsConnectionError(aborted, request=request)
    if reply.fault == "empty":
        lost = RemoteDisconnected("Remote end closed connection without response")
        return RequestsConnectionError(ProtocolError("Connection aborted.", lost), request=request)
    return None


def to_urllib3_response(reply: Outgoing, method: str) -> HTTPResponse:
    """`reply` as the urllib3 response an adapter builds on, unread so `stream=True` streams it."""
    fields, body = framed(reply, method)
    headers = HTTPHeaderDict(fields)
    # requests reads cookies from the original response's `msg` (as `responses` builds it too).
    original = HTTPResponse(body=io.BytesIO(), msg=headers, preload_content=False)  # type: ignore[arg-type]
    return HTTPResponse(
        body=io.BytesIO(body),
        headers=headers,
        status=reply.status,
        reason=reason_phrase(reply.status),
        preload_content=False,
        original_response=original,  # type: ignore[arg-type]
        request_method=method,
    )


def _body(request: PreparedRequest) -> bytes:
    body: Any = request.body
    if body is None:
        return b""
    # http.client sends a str body encoded as ISO-8859-1; bytes (json=, files=, data=bytes) as they
    # are; an iterable of chunks (a streamed upload) joined. File bodies `responses` has already read.
    if isinstance(body, str):
        return body.encode("iso-8859-1")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return b"".join(chunk.encode("iso-8859-1") if isinstance(chunk, str) else bytes(chunk) for chunk in body)


class _FakeRoute(responses.BaseResponse):
    """A route of the fake's, not one of the test's expectations."""

    @property
    def call_count(self) -> int:
        # Never "not fired": `assert_all_requests_are_fired=True` checks the test's own routes only.
        return max(1, len(self.calls))


class _ApiRoute(_FakeRoute):
    """Matches the URLs the fake answers and answers them from the engine."""

    def __init__(self, api: Exchanger) -> None:
        super().__init__(method="*", url="https://vidu-mock.test/")
        self.url = "the API URLs video_api answers"  # shown in responses' "doesn't match" message
        self._api = api

    def matches(self, request: PreparedRequest) -> tuple[bool, str]:
        if isinstance(self._api.where(str(request.url)), Where):
            return True, ""
        return False, "not an API URL video_api answers"

    def get_response(self, request: PreparedRequest) -> HTTPResponse:
        self.calls.reset()  # the engine's journal is the record: this route's own list is not grown per request
        where = self._api.where(str(request.url))
        assert isinstance(where, Where)  # `matches` said so
        method = str(request.method)
        headers: Mapping[str, str] = request.headers
        reply = self._api.exchange(method, where, dict(headers.items()), _body(request))
        error = _fault(reply, request, where)
        if error is not None:
            raise error
        return to_urllib3_response(reply, method)


class _LetThrough(_FakeRoute):
    """Matches URLs under a base URL named as real: `responses` sends them with the real adapter."""

    def __init__(self, api: Exchanger) -> None:
        super().__init__(method="*", url="https://vidu-mock.test/", passthrough=True)
        self.url = "the URLs video_api lets through"
        self._api = api

    def matches(self, request: PreparedRequest) -> tuple[bool, str]:
        if self._api.where(str(request.url)) == LET_THROUGH:
            return True, ""
        return False, "not let through"


class RequestsBridge:
    """Routes `requests` calls to `api` while started, through `responses`' default mock.

    The default mock (`responses.mock`) is the one `@responses.activate`, `responses.add`
    and `responses.start()` use, so a test's own `responses` routes work beside the fake's,
    whichever starts first: ours are added to its registry, not to a second patch on top.
    """

    def __init__(self, api: Exchanger) -> None:
        self.mock: responses.RequestsMock = responses.mock
        self._routes: tuple[responses.BaseResponse, ...] = (_LetThrough(api), _ApiRoute(api))
        self._started_mock = False

    def start(self) -> None:
        """Add the fake's routes to the default mock, starting it unless the test already has."""
        for route in self._routes:
            self.mock.add(route)
        before = HTTPAdapter.send
        self.mock.start()  # a no-op when already started
        self._started_mock = HTTPAdapter.send is not before

    def stop(self) -> None:
        """Remove the fake's routes; stop the default mock only if `start` started it."""
        for route in self._routes:
            self.mock.remove(route)
        if self._started_mock:
            self._started_mock = False
            self.mock.stop(allow_assert=False)
            self.mock.calls.reset()  # the calls it recorded for the fake: the engine's journal keeps them
