"""Werkzeug's threaded server, tuned for the mock: no access log, real TCP resets, JSON errors.

Requests that Python's HTTP parser refuses before the app sees them (an over-long request
line or header, too many headers, a malformed request line) get the §3 error shape too,
not the standard library's HTML page.
"""

from __future__ import annotations

import json
import logging
import queue
import selectors
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from mockserver.contract.catalogue import error_spec
from mockserver.contract.errors import ApiError
from mockserver.faults import wants_reset

__all__ = ["HTTP_LAYER_ERRORS", "ConnectionThreads", "MockWSGIServer", "QuietRequestHandler", "make_mock_server"]

# Status the parser chose -> catalogue code. Anything else (e.g. 505 for "HTTP/2.0" on a
# text connection) is a 400: no client input earns an un-injected 5xx.
HTTP_LAYER_ERRORS: dict[int, str] = {400: "bad_request", 414: "uri_too_long", 431: "header_too_large"}
_FALLBACK = HTTP_LAYER_ERRORS[400]
_LOG = logging.getLogger("mockserver.requests")
# After refusing a request, read (and drop) at most this much of what the client is still
# sending, so closing does not reset the connection before the client reads the answer.
_DRAIN_BYTES = 4 * 1024 * 1024


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log: the app writes its own, token-free line."""

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
        self.send_header("x-request-id", "req_" + uuid.uuid4().hex[:24])
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


class ConnectionThreads:
    """Daemon threads that each serve one connection at a time, reused once idle.

    Starting a thread per connection, as `ThreadingMixIn` does, cost about half a
    millisecond per connection here, more than answering a request. There is no cap on
    threads (a held-open connection must never block another client) and, unlike
    `ThreadPoolExecutor`, the threads are daemons: a client that keeps a connection open
    must not stop the interpreter from exiting. Idle threads end after `idle_seconds`.
    """

    def __init__(
        self, serve: Callable[[Any, Any], None], *, name: str = "vidu-mock", idle_seconds: float = 30.0
    ) -> None:
        self._serve = serve
        self.name = name
        self._idle_seconds = idle_seconds
        self._work: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Invariant: threads waiting for work == _idle + items queued for them.
        self._idle = 0
        self._started = 0
        self._closed = False

    @property
    def idle(self) -> int:
        """Threads waiting for a connection right now."""
        with self._lock:
            return self._idle

    @property
    def started(self) -> int:
        """Threads started so far (a connection reusing a thread starts none)."""
        with self._lock:
            return self._started

    def submit(self, request: Any, address: Any) -> None:
        """Serve `request` on an idle thread, or on a new one if none is idle."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is closed")
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1
            else:
                self._started += 1
        if reuse:
            self._work.put((request, address))
        else:
            threading.Thread(target=self._run, args=(request, address), name=self.name, daemon=True).start()

    def close(self) -> None:
        """Let idle threads end now; busy ones end when their connection does."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._work.put(None)

    def _run(self, request: Any, address: Any) -> None:
        job: tuple[Any, Any] | None = (request, address)
        while job is not None:
            self._serve(*job)
            job = self._next()

    def _next(self) -> tuple[Any, Any] | None:
        with self._lock:
            if self._closed:
                return None
            self._idle += 1
        while True:
            try:
                return self._work.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    # Leave only while more threads wait than items are queued for them.
                    if self._idle > 0:
                        self._idle -= 1
                        return None


class MockWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server whose injected resets reach the client as a TCP RST.

    Connections are served on reused threads (`ConnectionThreads`), not a new thread each.
    """

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before binding: a failed bind calls `server_close`, which closes the threads too.
        self.connection_threads = ConnectionThreads(self.process_request_thread)
        super().__init__(*args, **kwargs)
        self.connection_threads.name = f"vidu-mock:{self.port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a connection thread."""
        self.connection_threads.submit(request, client_address)

    def server_close(self) -> None:
        """Close the listening socket and let idle connection threads end."""
        super().server_close()
        self.connection_threads.close()

    def shutdown_request(self, request: Any) -> None:
        """Close the connection; skip the polite FIN first when a reset was injected."""
        if isinstance(request, socket.socket) and wants_reset(request):
            request.close()
            return
        super().shutdown_request(request)


def make_mock_server(app: Any, host: str, port: int) -> MockWSGIServer:
    """Bind `app` on `host:port` (0 picks a free port) without starting to serve."""
    return MockWSGIServer(host, port, app, handler=QuietRequestHandler)
