"""`RecordingServer`: the recording proxy on a port, in the foreground (the CLI) or a thread (tests)."""

from __future__ import annotations

import threading
from types import TracebackType

from mockserver.live.serving import MockWSGIServer, make_mock_server
from mockserver.record.proxy import RecordingProxy

__all__ = ["RecordingServer"]


class RecordingServer:
    """`proxy` served on `http://host:port` (port 0 picks a free one); a context manager."""

    def __init__(self, proxy: RecordingProxy, host: str = "127.0.0.1", port: int = 0) -> None:
        self.proxy = proxy
        self.host = host
        self._port = port
        self._server: MockWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients point at, e.g. `http://127.0.0.1:54321`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = self._server.server_port if self._server else self._port
        return f"http://{host}:{port}"

    def bind(self) -> RecordingServer:
        """Listen (`OSError` if the port is taken) without serving yet."""
        self._server = make_mock_server(self.proxy, self.host, self._port)
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
