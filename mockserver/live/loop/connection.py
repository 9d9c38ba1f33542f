"""One client connection on the event-loop server: read requests, ask the core, write answers, act out faults.

Requests are read by llhttp (`RequestReader`) and answered in order, pipelined ones
included: requests that arrive in one write wait, parsed, for their turn. While one
answer waits (an injected delay, a held `timeout` fault, a call on shared state in a
thread), reading pauses once another request is queued, and every other connection is
served.
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
from mockserver.live.loop.idle_spin import IdleSpin
from mockserver.live.loop.request_reader import Head, HeadError, Parsed, RequestReader

__all__ = ["Connection", "Shared"]

_LOG = logging.getLogger("mockserver.requests")
_ERRORS = logging.getLogger("mockserver.live")
# A body over the cap with at most this much still to come is read past so the connection
# can be kept; a larger one closes the connection after the answer (and is read past until
# the client stops).
_SKIP_BYTES = 4 * 1024 * 1024
# While a request waits for its answer, reading pauses once this much more has arrived (or
# a whole request: it waits, parsed, for its turn).
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
        self._reader = RequestReader(shared.engine.settings.max_body_bytes)
        self._write_paused = False  # the client reads its answers too slowly: answer no more for now
        self._busy = False  # an answer is on its way (delay, held fault, a thread)
        self._held = 0  # bytes read while busy; reading pauses past `_PAUSE_BYTES`
        self._draining = False  # answered and closing: read and drop until quiet
        self._eof = False
        self._continued: Head | None = None  # the head `100 Continue` was sent for
        self._started = 0.0
        self._pending: asyncio.TimerHandle | None = None
        self._pending_reply: tuple[Parsed, Incoming, Outgoing] | None = None
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
        reader = self._reader
        reader.feed(data)
        if self._busy:
            # Pipelined requests wait, parsed, behind the one being answered: stop reading more.
            self._held += len(data)
            if (self._held > _PAUSE_BYTES or reader.ready) and self._transport is not None:
                self._transport.pause_reading()
            return
        self._process()

    def eof_received(self) -> bool | None:
        self._eof = True
        if self._draining:
            self._close()
            return True
        if self._busy or self._reader.ready:
            return True  # answer first; the connection closes after the last answer
        head = self._reader.head
        if (
            head is not None and self._reader.awaiting_body
        ):  # the client stopped mid-body: answer what could not be read
            self._started = time.perf_counter()
            reply = _unreadable("the client closed the connection before the end")
            self._deliver(Parsed(head, b"", close=True), None, reply)
            return True
        return None  # between requests (or mid-head): close

    # -- answering requests in order ------------------------------------------------------

    def _process(self) -> None:
        """Answer every request read so far, in order, until one must wait; then set the deadline."""
        ready = self._reader.ready
        while ready and not (self._busy or self._write_paused or self._draining) and self._transport is not None:
            parsed = ready.popleft()
            if isinstance(parsed, HeadError):
                self._refuse(parsed)
                return
            self._answer(parsed)
        if self._busy or self._write_paused or self._draining or self._transport is None:
            return
        self._held = 0
        reader = self._reader
        if not reader.in_message:
            self._close_in(self._shared.idle_seconds)
            if self._shared.spin is not None:
                self._shared.spin.arm()
            return
        self._close_in(self._shared.read_seconds)
        head = reader.head
        if (
            head is not None
            and head is not self._continued
            and reader.awaiting_body
            and head.headers.get("expect", "").lower() == "100-continue"
        ):
            self._continued = head
            self._write(_CONTINUE)

    def _answer(self, parsed: Parsed) -> None:
        self._started = time.perf_counter()
        shared = self._shared
        request = incoming(parsed.head, parsed.body, self._remote, shared.host_urls, parsed.declared)
        if shared.executor is None:
            self._reply(parsed, request, _handle(shared.handle, request))
            return
        self._busy = True
        self._deadline = 0.0
        future = shared.executor.submit(_handle, shared.handle, request)
        future.add_done_callback(partial(self._back_on_loop, parsed, request))

    def _back_on_loop(self, parsed: Parsed, request: Incoming, done: Future[Outgoing]) -> None:
        with contextlib.suppress(RuntimeError):  # the server stopped meanwhile: its loop is closed
            self._loop.call_soon_threadsafe(self._handled, parsed, request, done)

    def _handled(self, parsed: Parsed, request: Incoming, done: Future[Outgoing]) -> None:
        if self._transport is None or done.cancelled():
            return
        self._busy = False
        self._reply(parsed, request, done.result())
        self._resume()

    def _reply(self, parsed: Parsed, request: Incoming, reply: Outgoing) -> None:
        """Send `reply` now, or after its injected delay (without blocking other connections)."""
        if reply.delay_ms > 0 and not self._shared.stopping:
            self._busy = True
            self._deadline = 0.0
            self._pending_reply = (parsed, request, reply)
            self._pending = self._loop.call_later(reply.delay_ms / 1000, self._delayed)
            return
        self._deliver(parsed, request, reply)

    def _delayed(self) -> None:
        self._pending = None
        if self._pending_reply is None:
            return
        (parsed, request, reply), self._pending_reply = self._pending_reply, None
        self._busy = False
        self._deliver(parsed, request, reply)
        self._resume()

    def _resume(self) -> None:
        """An answer that waited went out: read again, and answer what queued meanwhile."""
        if self._transport is not None and not (self._busy or self._write_paused or self._draining):
            self._transport.resume_reading()
            self._process()

    def _deliver(self, parsed: Parsed, request: Incoming | None, reply: Outgoing) -> None:
        head = parsed.head
        method = request.method if request is not None else head.method
        log_reply(method, request.path if request is not None else head.target, reply, self._started)
        fault = reply.fault
        if fault in DROPS_CONNECTION:
            self._act_out(str(fault))
            return
        # An unread body too large to read past closes the connection after the answer.
        close = parsed.close or parsed.unread > _SKIP_BYTES or self._shared.stopping
        close = close or (self._eof and not self._reader.ready)
        if head.version == (0, 9):  # no status line, no headers: the body alone
            self._write(reply.body)
            close = True
        else:
            self._write(response_bytes(reply, head_only=method == "HEAD", close=close))
        if close:
            self._finish(unread=parsed.unread > 0 or self._reader.in_message)

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
        self._finish(unread=True)  # the rest of the refused request may still be arriving

    def _finish(self, *, unread: bool) -> None:
        """Close after an answer: at once, or once the client has stopped sending what is left."""
        transport = self._transport
        if transport is None:
            return
        if self._eof or not unread:
            self._close()
            return
        self._draining = True
        self._busy = False
        with contextlib.suppress(OSError, RuntimeError, NotImplementedError):
            transport.write_eof()
        transport.resume_reading()
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
