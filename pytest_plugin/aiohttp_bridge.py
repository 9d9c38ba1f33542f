"""Serving `aiohttp` from `VideoAPI`: an in-memory connection in place of the socket, so aiohttp reads real bytes.

aiohttp's default connector (`TCPConnector`, which every `ClientSession` uses unless given
another) opens each connection in `_create_connection`. While started, that method
answers a URL the fake owns with `ApiConnection`: an asyncio transport with no socket.
The request aiohttp writes to it is read with h11 (a kept HTTP/1.1 parser), the engine
answers, and the reply goes back as HTTP/1.1 bytes h11 frames, which aiohttp parses with
its own parser. So base URLs, session headers, redirects, cookies, `raise_for_status`,
streaming (`response.content.read()`) and the malformed reply behave as on a socket, and
connection faults go through aiohttp's own handling of a lost connection:

| fault       | aiohttp sees (as against the live server, `tests/plugin/test_client_bridges.py`) |
|-------------|---------------------------------------------------------------------|
| `reset`     | `ClientOSError(104, 'Connection reset by peer')` (a `ClientConnectionError`) |
| `empty`     | `ServerDisconnectedError('Server disconnected')` |
| `timeout`   | `SocketTimeoutError('Timeout on reading data from socket')` under a `sock_read` limit, else `TimeoutError()` under `total` (the session default: 300 s); with neither, `HangsForeverError` |
| `malformed` | a 200 `application/json` reply with truncated JSON; `.json()` raises `json.JSONDecodeError` |

URLs under a base URL named as real go to the real `_create_connection`; any other URL
fails with `ClientConnectionError` ("not mocked"), so nothing unexpected reaches the network.
Each in-memory connection carries one exchange and is then closed, never pooled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from aiohttp import ClientConnectionError, ClientRequest, ClientTimeout, TCPConnector
from aiohttp.client_exceptions import SocketTimeoutError
from aiohttp.client_proto import ResponseHandler
from aiohttp.tracing import Trace

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

__all__ = ["AiohttpBridge", "ApiConnection", "read_limit"]


def read_limit(timeout: ClientTimeout) -> tuple[float | None, bool]:
    """The seconds aiohttp would wait for a reply, and whether `sock_read` (not `total`) sets them."""
    limits = [value for value in (timeout.sock_read, timeout.total) if value]
    if not limits:
        return None, False
    shortest = min(limits)
    return shortest, shortest == timeout.sock_read


class ApiConnection(asyncio.Transport):
    """One in-memory connection: reads the request aiohttp writes, then feeds back the engine's answer."""

    def __init__(self, api: Exchanger, where: Where, protocol: ResponseHandler, timeout: ClientTimeout) -> None:
        super().__init__()
        self._api = api
        self._where = where
        self._protocol = protocol
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._http = h11.Connection(h11.SERVER)
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._closing = False
        self._lost = False

    # -- what aiohttp's writer calls -------------------------------------------------------
    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._http.receive_data(bytes(data))
        while True:
            event = self._http.next_event()
            if isinstance(event, h11.Request):
                self._request = event
                if self._http.they_are_waiting_for_100_continue:  # aiohttp's `expect100=True`
                    go_on = self._http.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                    self._loop.call_soon(self._protocol.data_received, go_on)
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self._loop.call_soon(self._answer)
                return
            else:  # NEED_DATA: the rest of the request is still to come
                return

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True
        if not self._lost:
            self._loop.call_soon(self._lose, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default  # no socket, no peer, no TLS object

    def pause_reading(self) -> None:
        """Nothing to pause: the whole reply is fed at once."""

    def resume_reading(self) -> None:
        """Nothing to resume."""

    def is_reading(self) -> bool:
        return not self._closing

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    # -- the answer --------------------------------------------------------------------------
    def _answer(self) -> None:
        request = self._request
        assert request is not None  # h11 yields the Request before its EndOfMessage
        method = request.method.decode("ascii")
        headers: dict[str, str] = {}
        for name, value in request.headers:
            key = name.decode("latin-1")
            headers[key] = f"{headers[key]}, {value.decode('latin-1')}" if key in headers else value.decode("latin-1")
        reply = self._api.exchange(method, self._where, headers, bytes(self._body))
        error = self._fault(reply, method)
        if error is not None:
            self._protocol.set_exception(error)
            self._closing = True
        elif reply.fault == "reset":
            self._lose(ConnectionResetError(104, "Connection reset by peer"))
        elif reply.fault == "empty":
            self._lose(None)
        else:
            self._protocol.data_received(self._reply_bytes(reply, method))
            self._protocol.force_close()  # one exchange per connection: never pooled for another URL

    def _fault(self, reply: Outgoing, method: str) -> BaseException | None:
        limit, by_socket = read_limit(self._timeout)
        wait = wait_outcome(reply, limit)
        if wait is Wait.FOREVER:
            return hangs_forever("aiohttp", method, self._where.path)
        if wait is Wait.TIMEOUT:
            return SocketTimeoutError("Timeout on reading data from socket") if by_socket else TimeoutError()
        return None

    def _lose(self, error: BaseException | None) -> None:
        """The connection ends (with no reply, for a fault); aiohttp turns that into its own error, as on a socket."""
        self._closing = True
        if not self._lost:
            self._lost = True
            self._protocol.connection_lost(error)

    def _reply_bytes(self, reply: Outgoing, method: str) -> bytes:
        headers, body = framed(reply, method)
        reason = reason_phrase(reply.status).encode("ascii")
        head = h11.Response(status_code=reply.status, headers=headers, reason=reason)
        parts = (head, h11.Data(data=body), h11.EndOfMessage())
        return b"".join(self._http.send(part) or b"" for part in parts)


class AiohttpBridge:
    """Routes `aiohttp` requests to `api` while started, by patching `TCPConnector._create_connection`."""

    def __init__(self, api: Exchanger) -> None:
        self._api = api
        self._original: Any = None

    def start(self) -> None:
        """Patch the default connector (nested bridges each wrap the one before)."""
        original = self._original = TCPConnector._create_connection
        api = self._api

        async def create_connection(
            connector: TCPConnector, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
        ) -> ResponseHandler:
            where = api.where(str(req.url))
            if where == LET_THROUGH:
                connection: ResponseHandler = await original(connector, req, traces, timeout)
                return connection
            if not isinstance(where, Where):
                raise ClientConnectionError(
                    f"not mocked by video_api: {req.method} {req.url} (not one of its API URLs, and not let through)"
                )
            protocol = ResponseHandler(asyncio.get_running_loop())
            protocol.connection_made(ApiConnection(api, where, protocol, timeout))
            return protocol

        TCPConnector._create_connection = create_connection  # type: ignore[method-assign,assignment]

    def stop(self) -> None:
        """Put back the connector method `start` replaced."""
        if self._original is not None:
            TCPConnector._create_connection = self._original  # type: ignore[method-assign]
            self._original = None
