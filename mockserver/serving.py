"""Werkzeug's threaded server, tuned for the mock: no access log, real TCP resets."""

from __future__ import annotations

import socket
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from mockserver.faults import wants_reset

__all__ = ["MockWSGIServer", "QuietRequestHandler", "make_mock_server"]


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log: the app writes its own, token-free line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do nothing; `mockserver.requests` logs each request instead."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """Do nothing: injected faults drop connections on purpose."""


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
