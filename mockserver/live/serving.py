"""Werkzeug's threaded server, tuned for the mock: no access log, real TCP resets, JSON errors.

Requests that Python's HTTP parser refuses before the app sees them (an over-long request
line or header, too many headers, a malformed request line) get the §3 error shape too,
not the standard library's HTML page.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable
from functools import partial
from http.server import HTTPServer
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, get_sockaddr, select_address_family

from mockserver.contract.catalogue import error_spec
from mockserver.contract.errors import ApiError
from mockserver.contract.replies import new_request_id
from mockserver.live.faults import wants_reset
from mockserver.live.keepalive import (
    DEFAULT_IDLE_SECONDS,
    DEFAULT_READ_SECONDS,
    KeepAliveHandler,
    close_open_connections,
)

__all__ = [
    "HTTP_LAYER_ERRORS",
    "SERVER_NAME",
    "SHARED_CONNECTION_THREADS",
    "ConnectionThreads",
    "MockWSGIServer",
    "QuietRequestHandler",
    "make_mock_server",
]

# Status the parser chose -> catalogue code. Anything else (e.g. 505 for "HTTP/2.0" on a
# text connection) is a 400: no client input earns an un-injected 5xx.
HTTP_LAYER_ERRORS: dict[int, str] = {400: "bad_request", 414: "uri_too_long", 431: "header_too_large"}
_FALLBACK = HTTP_LAYER_ERRORS[400]
_LOG = logging.getLogger("mockserver.requests")
#: What the `Server` response header starts with (Python's version follows, as in Werkzeug's).
SERVER_NAME = "vidu-mock"
# After refusing a request, read (and drop) at most this much of what the client is still
# sending, so closing does not reset the connection before the client reads the answer.
_DRAIN_BYTES = 4 * 1024 * 1024


class QuietRequestHandler(KeepAliveHandler):
    """The keep-alive handler without an access log: the app writes its own, token-free line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do nothing; `mockserver.requests` logs each request instead."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """Do nothing: injected faults drop connections on purpose."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request the HTTP parser refused in the §3 JSON shape, then close."""
        error_code = HTTP_LAYER_ERRORS.get(code, _FALLBACK)
        spec = error_spec(error_code)
        detail = f"{spec.message.rstrip('.')} ({message[:120]})." if message else spec.message
        status = spec.status
        body = json.dumps(ApiError(error_code, detail).body(), separators=(",", ":")).encode()
        # A refused request line leaves the version at HTTP/0.9, which would mean a bare
        # body with no status line; every client here speaks HTTP/1.x.
        self.request_version = "HTTP/1.1"
        self.close_connection = True
        # Logged like the app's lines: status and code only, never the raw line or headers.
        _LOG.info("HTTP parser refused a request -> %d %s", status, error_code)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", new_request_id())
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()
        self._drain()

    def _drain(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            drained = 0
            # The same short wait as Werkzeug's own drain after a response.
            while drained < _DRAIN_BYTES and selector.select(timeout=0.01):
                try:
                    chunk = self.rfile.read1(65536)
                except OSError:
                    return
                if not chunk:
                    return
                drained += len(chunk)


class _Waiter:
    """An idle thread's slot: the job handed to it, and the lock it waits on until then."""

    __slots__ = ("job", "wake")

    def __init__(self) -> None:
        self.job: Callable[[], None] | None = None
        self.wake = threading.Lock()
        self.wake.acquire()  # held until a job (or the close) is handed over


class ConnectionThreads:
    """Daemon threads that each serve one connection at a time, reused once idle.

    Starting a thread per connection, as `ThreadingMixIn` does, cost about half a
    millisecond per connection here, more than answering a request. There is no cap on
    busy threads (a held-open connection must never block another client) and, unlike
    `ThreadPoolExecutor`, the threads are daemons: a client that keeps a connection open
    must not stop the interpreter from exiting.

    The thread that went idle last is reused first, so threads a burst left over stay
    idle and end after `idle_seconds`; at most `max_idle` wait at once. (Handing work to
    any waiting thread kept every thread busy now and then, and a soak's thread count,
    and memory, crept up.)
    """

    def __init__(self, *, name: str = "vidu-mock-connection", idle_seconds: float = 30.0, max_idle: int = 16) -> None:
        self.name = name
        self._idle_seconds = idle_seconds
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._waiting: list[_Waiter] = []  # a stack: the last to go idle is handed the next job
        self._started = 0
        self._closed = False

    @property
    def idle(self) -> int:
        """Threads waiting for a connection right now."""
        with self._lock:
            return len(self._waiting)

    @property
    def started(self) -> int:
        """Threads started so far (a connection reusing a thread starts none)."""
        with self._lock:
            return self._started

    def submit(self, job: Callable[[], None]) -> None:
        """Run `job` (serve one connection) on an idle thread, or on a new one if none is idle."""
        with self._lock:
            if self._closed:
                raise RuntimeError("these connection threads are closed")
            waiter = self._waiting.pop() if self._waiting else None
            if waiter is None:
                self._started += 1
        if waiter is None:
            threading.Thread(target=self._run, args=(job,), name=self.name, daemon=True).start()
        else:
            waiter.job = job
            waiter.wake.release()

    def close(self) -> None:
        """Let idle threads end now and refuse new jobs; busy threads end when their job does."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            waiter.wake.release()  # with no job: the thread ends

    def after_fork(self) -> None:
        """Forget the parent's threads (a forked child has none of them)."""
        self._lock = threading.Lock()
        self._reset()

    def _run(self, job: Callable[[], None]) -> None:
        next_job: Callable[[], None] | None = job
        while next_job is not None:
            next_job()
            next_job = self._next()

    def _next(self) -> Callable[[], None] | None:
        waiter = _Waiter()
        with self._lock:
            if self._closed or len(self._waiting) >= self._max_idle:
                return None
            self._waiting.append(waiter)
        if not waiter.wake.acquire(timeout=self._idle_seconds):
            with self._lock:
                if waiter in self._waiting:  # nobody took this thread: it ends
                    self._waiting.remove(waiter)
                    return None
            waiter.wake.acquire()  # taken just as the wait ran out: the job is on its way
        job = waiter.job
        waiter.job = None
        return job


#: The connection threads every `MockWSGIServer` of this process shares, so a server
#: started later (another `Settings`, the next test session's) reuses idle ones.
SHARED_CONNECTION_THREADS = ConnectionThreads()
os.register_at_fork(after_in_child=SHARED_CONNECTION_THREADS.after_fork)


class MockWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server whose injected resets reach the client as a TCP RST.

    Connections are served on `SHARED_CONNECTION_THREADS`, not on a new thread each.
    """

    connection_threads = SHARED_CONNECTION_THREADS

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        handler: type[WSGIRequestHandler] = QuietRequestHandler,
        *,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        read_seconds: float = DEFAULT_READ_SECONDS,
    ) -> None:
        """Bind `host:port` (0 picks a free port) and listen; raises `OSError` if it cannot.

        What Werkzeug's constructor does for a TCP server without TLS, less two things: it
        looks Werkzeug's version up in the installed packages' metadata for the `Server`
        header, on every server (0.6 ms, 5 ms on a process's first), and on a bind error it
        prints and calls `sys.exit`, which a library (`LiveServer`, the fixtures) must not.
        The `Server` header names the mock instead.
        """
        self.host, self.port, self.app = host, port, app
        self.idle_seconds, self.read_seconds = idle_seconds, read_seconds  # read by `KeepAliveHandler`
        self.passthrough_errors = False
        self.ssl_context = None
        self._server_version = SERVER_NAME
        self.address_family = select_address_family(host, port)
        address = get_sockaddr(host, int(port), self.address_family)
        if isinstance(address, str):
            raise ValueError(f"a TCP host is needed, not a Unix socket: {host!r}")
        HTTPServer.__init__(self, address, handler, bind_and_activate=False)
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise
        self.port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a connection thread."""
        self.connection_threads.submit(partial(self.process_request_thread, request, client_address))

    def server_close(self) -> None:
        """Stop listening and end the kept-alive connections still open."""
        super().server_close()
        close_open_connections(self)

    def shutdown_request(self, request: Any) -> None:
        """Close the connection; skip the polite FIN first when a reset was injected."""
        if isinstance(request, socket.socket) and wants_reset(request):
            request.close()
            return
        super().shutdown_request(request)


def make_mock_server(
    app: Any,
    host: str,
    port: int,
    *,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    read_seconds: float = DEFAULT_READ_SECONDS,
) -> MockWSGIServer:
    """Bind `app` on `host:port` (0 picks a free port) without starting to serve.

    Connections stay open between requests for up to `idle_seconds`; reading a request
    may stall for up to `read_seconds` before its connection is dropped.
    """
    return MockWSGIServer(
        host, port, app, handler=QuietRequestHandler, idle_seconds=idle_seconds, read_seconds=read_seconds
    )
