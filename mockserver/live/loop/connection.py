"""One client connection on the event-loop server: read requests, ask the core, write answers, act out faults.

Requests on a connection are answered in order (HTTP/1.1 pipelining included); while one
waits (an injected delay, a held `timeout` fault, a call on shared state in a thread),
what the client sends next waits in the buffer, and every other connection is served.
One deadline per connection bounds what a client may hold: `idle_seconds` between
requests, `read_seconds` while a request is arriving, then the connection is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import partial

from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import DROPS_CONNECTION
from mockserver.contract.messages import Incoming, Outgoing, error_reply
from mockserver.contract.routes.engine import ContractEngine
from mockserver.live.loop.exchange import HostUrls, incoming, log_reply, refusal, response_bytes
from mockserver.live.loop.http_head import ChunkedBody, Head, HeadError, parse_head
from mockserver.live.loop.idle_spin import IdleSpin

__all__ = ["Connection", "Shared"]

_LOG = logging.getLogger("mockserver.requests")
_ERRORS = logging.getLogger("mockserver.live")
# A refused body of at most this much is read past so the connection can be kept; a
# larger one closes the connection after the answer (and is read past until the client stops).
_SKIP_BYTES = 4 * 1024 * 1024
# While a request waits for its answer, reading pauses once this much more has arrived.
_PAUSE_BYTES = 1024 * 1024
# After answering with `Connection: close`, what the client still sends is read and dropped
# (so closing does not reset the connection before it reads the answer) until it has been
# quiet this long, or closes its side.
_QUIET_SECONDS = 1.0
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@dataclass(eq=False)
class Shared:
    """What every connection of one server shares: the core, the limits, and the open connections."""

    handle: Callable[[Incoming], Outgoing]
    engine: ContractEngine
    host_urls: HostUrls
    idle_seconds: float
    read_seconds: float
    executor: Executor | None  # set when the state does I/O (Redis): the core runs off the loop
    connections: set[Connection] = field(default_factory=set)
    stopping: bool = False
    spin: IdleSpin | None = None  # set by a server that owns its process (memory state only)


class Connection(asyncio.Protocol):
    """The protocol of one TCP connection (see the module docstring)."""

    def __init__(self, shared: Shared, loop: asyncio.AbstractEventLoop) -> None:
        self._shared = shared
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._remote: str | None = None
        self._buffer = bytearray()
        self._head: Head | None = None  # the request whose body is being read
        self._need = 0  # bytes of a Content-Length body still to come
        self._chunks: ChunkedBody | None = None
        self._skip = 0  # bytes of a refused body still to read past
        self._declared: int | None = None
        self._close_after = False
        self._unread = False  # this request's body may still be arriving: read past it before closing
        self._write_paused = False  # the client reads its answers too slowly: answer no more for now
        self._busy = False  # an answer is on its way (delay, held fault, a thread)
        self._draining = False  # answered and closing: read and drop until quiet
        self._eof = False
        self._started = 0.0
        self._pending: asyncio.TimerHandle | None = None
        self._pending_reply: tuple[Incoming, Outgoing] | None = None
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a TCP transport: reads and writes
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else None
        self._shared.connections.add(self)
        self._close_in(self._shared.idle_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._shared.connections.discard(self)
        self._transport = None
        self._deadline = 0.0
        for handle in (self._timer, self._pending):
            if handle is not None:
                handle.cancel()
        self._timer = self._pending = None

    def pause_writing(self) -> None:
        """The client is not reading its answers: stop reading its requests until it does."""
        self._write_paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._transport is not None and not self._busy:
            self._transport.resume_reading()
            self._process()

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._close_in(_QUIET_SECONDS)
            return
        if self._skip:
            taken = min(self._skip, len(data))
            self._skip -= taken
            data = data[taken:]
            if not data:
                self._close_in(self._shared.read_seconds)
                return
        self._buffer += data
        if self._busy:
            if len(self._buffer) > _PAUSE_BYTES and self._transport is not None:
                self._transport.pause_reading()
            return
        self._process()

    def eof_received(self) -> bool | None:
        self._eof = True
        if self._draining:
            self._close()
            return True
        if self._busy:
            return True  # answer first; the connection closes after
        if self._head is not None:  # the client stopped sending mid-body: answer what could not be read
            self._close_after = True
            self._reply(self._head, None, _unreadable("the client closed the connection before the end"))
            return True
        return None  # between requests (or mid-head): close

    # -- reading requests ---------------------------------------------------------------

    def _process(self) -> None:
        """Answer every complete request in the buffer, in order, until one must wait."""
        while not (self._busy or self._write_paused or self._draining) and self._transport is not None:
            if self._head is None:
                if not self._buffer:
                    self._close_in(self._shared.idle_seconds)
                    if self._shared.spin is not None:
                        self._shared.spin.arm()
                    return
                try:
                    head = parse_head(self._buffer)
                except HeadError as error:
                    self._refuse(error)
                    return
                if head is None:
                    self._close_in(self._shared.read_seconds)
                    return
                del self._buffer[: head.size]
                self._begin(head)
                if self._declared is not None:  # over the cap: answered unread
                    self._answer(head, b"")
                    continue
            body = self._body()
            if body is None or self._head is None:
                if not self._draining and self._transport is not None:
                    self._close_in(self._shared.read_seconds)
                return
            self._answer(self._head, body)

    def _begin(self, head: Head) -> None:
        """Start a request: its framing, the body cap, `Expect: 100-continue`."""
        self._head = head
        self._started = time.perf_counter()
        headers = head.headers
        connection = headers.get("connection")
        self._close_after = head.version != (1, 1) or (connection is not None and "close" in connection.lower())
        self._declared = None
        self._need = 0
        self._chunks = None
        self._unread = False
        cap = self._shared.engine.settings.max_body_bytes
        coding = headers.get("transfer-encoding")
        if coding is not None and "chunked" in coding.lower():  # wins over Content-Length (RFC 9112 6.3)
            self._chunks = ChunkedBody(cap + 1)
        else:
            length = headers.get("content-length")
            if length is not None:
                if length.isdigit() and length.isascii():
                    self._need = int(length)
                else:  # no way to tell where the body ends: no body, then close (a 400 from the core)
                    self._close_after = self._unread = True
            if self._need > cap:  # refused before reading it (the core answers 413)
                self._declared, self._need = self._need, 0
                taken = min(len(self._buffer), self._declared)
                del self._buffer[:taken]
                self._skip = self._declared - taken
                if self._skip > _SKIP_BYTES:
                    self._close_after = True
                return
        if (self._need > len(self._buffer) or self._chunks is not None) and headers.get(
            "expect", ""
        ).lower() == "100-continue":
            self._write(_CONTINUE)

    def _body(self) -> bytes | None:
        """The request's body once complete (None until then); a broken one is answered here."""
        chunks = self._chunks
        if chunks is None:
            if len(self._buffer) < self._need:
                return None
            body = bytes(self._buffer[: self._need])
            del self._buffer[: self._need]
            return body
        try:
            used = chunks.feed(self._buffer)
        except ValueError as error:
            del self._buffer[:]
            self._close_after = self._unread = True
            assert self._head is not None
            self._reply(self._head, None, _unreadable(str(error)))
            return None
        del self._buffer[:used]
        if chunks.done or chunks.size > chunks.keep - 1:
            if not chunks.done:  # the rest of an over-cap body is read past, then the connection closed
                self._close_after = self._unread = True
            return bytes(chunks.data)
        return None

    # -- answering -----------------------------------------------------------------------

    def _answer(self, head: Head, body: bytes) -> None:
        request = incoming(head, body, self._remote, self._shared.host_urls, self._declared)
        shared = self._shared
        if shared.executor is None:
            self._reply(head, request, _handle(shared.handle, request))
            return
        self._busy = True
        self._deadline = 0.0
        future = shared.executor.submit(_handle, shared.handle, request)
        future.add_done_callback(partial(self._back_on_loop, head, request))

    def _back_on_loop(self, head: Head, request: Incoming, done: Future[Outgoing]) -> None:
        with contextlib.suppress(RuntimeError):  # the server stopped meanwhile: its loop is closed
            self._loop.call_soon_threadsafe(self._handled, head, request, done)

    def _handled(self, head: Head, request: Incoming, done: Future[Outgoing]) -> None:
        if self._transport is None or done.cancelled():
            return
        self._busy = False
        self._reply(head, request, done.result())
        if self._transport is not None and not (self._busy or self._write_paused):
            self._transport.resume_reading()
            self._process()

    def _reply(self, head: Head, request: Incoming | None, reply: Outgoing) -> None:
        """Send `reply` now, or after its injected delay (without blocking other connections)."""
        if reply.delay_ms > 0 and not self._shared.stopping and request is not None:
            self._busy = True
            self._deadline = 0.0
            self._pending_reply = (request, reply)
            self._pending = self._loop.call_later(reply.delay_ms / 1000, self._delayed)
            return
        self._deliver(head, request, reply)

    def _delayed(self) -> None:
        self._pending = None
        if self._pending_reply is None or self._head is None:
            return
        (request, reply), self._pending_reply = self._pending_reply, None
        self._busy = False
        self._deliver(self._head, request, reply)
        if self._transport is not None and not self._write_paused:
            self._transport.resume_reading()
            self._process()

    def _deliver(self, head: Head, request: Incoming | None, reply: Outgoing) -> None:
        method = request.method if request is not None else head.method.upper()
        log_reply(method, request.path if request is not None else head.target, reply, self._started)
        self._head = None
        fault = reply.fault
        if fault in DROPS_CONNECTION:
            self._act_out(str(fault))
            return
        close = self._close_after or self._shared.stopping or self._eof
        if head.version == (0, 9):  # no status line, no headers: the body alone
            self._write(reply.body)
            close = True
        else:
            self._write(response_bytes(reply, head_only=method == "HEAD", close=close))
        if close:
            self._finish()

    def _act_out(self, fault: str) -> None:
        """`reset`: a TCP RST; `empty`: closed with no answer; `timeout`: silence, then closed."""
        transport = self._transport
        if transport is None:
            return
        if fault == "timeout":
            self._busy = True
            transport.pause_reading()
            self._close_in(self._shared.engine.settings.timeout_fault_seconds)
            return
        if fault == "reset":
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        self._close()

    def _refuse(self, error: HeadError) -> None:
        """Answer a request the HTTP layer refused in the §3 shape, then close."""
        reply, code = refusal(error)
        _LOG.info("HTTP parser refused a request -> %d %s", reply.status, code)
        self._write(response_bytes(reply, head_only=False, close=True))
        del self._buffer[:]
        self._unread = True  # the rest of an over-long line may still be arriving
        self._finish()

    def _finish(self) -> None:
        """Close after an answer: at once, or once the client has stopped sending what is left."""
        transport = self._transport
        if transport is None:
            return
        if self._eof or not (self._skip or self._unread):
            self._close()
            return
        self._draining = True
        self._busy = False
        with contextlib.suppress(OSError, RuntimeError, NotImplementedError):
            transport.write_eof()
        self._close_in(_QUIET_SECONDS)

    def _write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    # -- closing ---------------------------------------------------------------------------

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._deadline = 0.0

    def _close_in(self, seconds: float) -> None:
        """Close the connection `seconds` from now, unless the deadline moves again first.

        One timer per connection, re-armed only when it would fire too late: moving the
        deadline on every request costs an assignment, not a new timer.
        """
        deadline = self._loop.time() + seconds
        self._deadline = deadline
        if self._timer is not None:
            if self._timer_at <= deadline:
                return  # it fires first, and re-arms itself for the new deadline
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self._deadline or self._transport is None:
            return
        if self._loop.time() < self._deadline:
            self._timer_at = self._deadline
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
            return
        self._transport.close()

    def shutdown(self) -> None:
        """Server stopping: send a delayed answer now, release held connections, close the rest."""
        if self._pending is not None:
            self._pending.cancel()
            self._delayed()
        self._close()


def _handle(handle: Callable[[Incoming], Outgoing], request: Incoming) -> Outgoing:
    try:
        return handle(request)
    except Exception:
        _ERRORS.exception("unexpected error")  # a bug of ours; the client still gets the §3 shape
        return error_reply(ApiError("internal_error"))


def _unreadable(reason: str) -> Outgoing:
    # A body that cannot be read is the client's fault, so a 400, as under the WSGI servers.
    return error_reply(ApiError("invalid_json", f"The request body could not be read: {reason[:120]}."))
