"""`RecordingServer`: the recording proxy on a port, in the foreground (the CLI) or a thread (tests)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mockserver.record.proxy import RecordingProxy

__all__ = ["RecordingServer", "listen", "serve_wsgi"]


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log: the proxy prints its own redacted line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_wsgi(app: object, host: str, port: int, listening: socket.socket | None = None) -> BaseWSGIServer:
    """`app` bound on `host:port` (0 picks a free port), a thread per connection, not serving yet.

    The proxy is a WSGI app that waits on its upstream, so it keeps Werkzeug's threaded
    server rather than the mock's event loop (which calls the core inline). With `listening`,
    it serves that socket (Werkzeug takes a copy; close yours).
    """
    fd = None if listening is None else listening.fileno()
    return make_server(host, port, app, threaded=True, request_handler=_QuietHandler, fd=fd)  # type: ignore[arg-type]


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host:port`; `OSError` (not Werkzeug's exit) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family)


class RecordingServer:
    """`proxy` served on `http://host:port` (port 0 picks a free one); a context manager."""

    def __init__(
        self, proxy: RecordingProxy, host: str = "127.0.0.1", port: int = 0, listening: socket.socket | None = None
    ) -> None:
        self.proxy = proxy
        self.host = host
        self._port = port
        self._listening = listening  # bound by the caller already (the CLI checks its port first)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients point at, e.g. `http://127.0.0.1:54321`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = self._server.port if self._server else self._port  # Werkzeug keeps it for a socket it was given too
        return f"http://{host}:{port}"

    def bind(self) -> RecordingServer:
        """Listen (`OSError` if the port is taken) without serving yet."""
        listening = self._listening or listen(self.host, self._port)
        try:
            self._server = serve_wsgi(self.proxy, self.host, self._port, listening)
        finally:
            listening.close()  # Werkzeug serves its own copy
        return self

    def serve(self) -> None:
        """Serve in this thread until `KeyboardInterrupt` (which propagates), then close."""
        server = self._server or self.bind()._server
        assert server is not None
        try:
            server.serve_forever(poll_interval=0.1)
        finally:
            self._close()

    def start(self) -> RecordingServer:
        """Bind and serve in a daemon thread."""
        server = self.bind()._server
        assert server is not None
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="vidu-mock-record", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the connections (to clients and to the upstream)."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
        self._close()

    def _close(self) -> None:
        if self._server is not None:
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        self.proxy.close()

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
