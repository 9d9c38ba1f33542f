"""Werkzeug's threaded server, tuned for the mock: no access log, real TCP resets, JSON errors.

Requests that Python's HTTP parser refuses before the app sees them (an over-long request
line or header, too many headers, a malformed request line) get the §3 error shape too,
not the standard library's HTML page.
"""

from __future__ import annotations

import json
import logging
import selectors
import socket
import uuid
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from mockserver.contract.catalogue import error_spec
from mockserver.contract.errors import ApiError
from mockserver.faults import wants_reset

__all__ = ["HTTP_LAYER_ERRORS", "MockWSGIServer", "QuietRequestHandler", "make_mock_server"]

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


class MockWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server whose injected resets reach the client as a TCP RST."""

    daemon_threads = True

    def shutdown_request(self, request: Any) -> None:
        """Close the connection; skip the polite FIN first when a reset was injected."""
        if isinstance(request, socket.socket) and wants_reset(request):
            request.close()
            return
        super().shutdown_request(request)


def make_mock_server(app: Any, host: str, port: int) -> MockWSGIServer:
    """Bind `app` on `host:port` (0 picks a free port) without starting to serve."""
    return MockWSGIServer(host, port, app, handler=QuietRequestHandler)
