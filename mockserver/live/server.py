"""`LiveServer`: the one "start the mock on a port" class, for the CLI, the fixtures and the benches."""

from __future__ import annotations

import threading
from types import TracebackType

from mockserver.contract.clock import Clock
from mockserver.contract.control import MockControl
from mockserver.contract.engine import ContractEngine
from mockserver.contract.settings import Settings
from mockserver.live.app import create_app, shutdown_event
from mockserver.live.serving import MockWSGIServer, make_mock_server
from mockserver.replay_folder import attach_replay
from mockserver.state_backends import open_state

__all__ = ["LiveServer"]

# How often a background serving loop checks for shutdown: bounds how long `stop()` takes.
_POLL_SECONDS = 0.02


class LiveServer:
    """The mock on `http://127.0.0.1:<port>`; port 0 picks a free one.

    In the background: a context manager, or `start()` and `stop()`. In the foreground (the
    CLI): `bind()`, then `serve()` until Ctrl-C. `control` is the same `MockControl` the
    pytest fixtures expose.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: ContractEngine | None = None,
        clock: Clock | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        settings = settings or (engine.settings if engine else Settings())
        self.engine = engine or ContractEngine(settings, clock, state=open_state(settings))
        if self.engine.settings.replay and self.engine.replay is None:
            attach_replay(self.engine)  # the `replay` setting: answer from a folder of recordings
        self.host = host or settings.host
        self.app = create_app(engine=self.engine, bound_host=self.host)
        self._port = settings.port if port is None else port
        self._server: MockWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = shutdown_event(self.app)
        self.control = MockControl(self.engine)

    @property
    def port(self) -> int:
        """The bound port (the real one once bound)."""
        return self._server.server_port if self._server else self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:54321` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def bind(self) -> LiveServer:
        """Listen on the host and port (`OSError` if taken) without serving yet; returns self."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        settings = self.engine.settings
        self._server = make_mock_server(
            self.app,
            self.host,
            self._port,
            idle_seconds=settings.idle_timeout_seconds,
            read_seconds=settings.read_timeout_seconds,
        )
        self._stopping.clear()
        return self

    def start(self) -> LiveServer:
        """Bind and serve in a daemon thread; returns self."""
        server = self.bind()._server
        assert server is not None
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"vidu-mock:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve(self, poll_interval: float = 0.1) -> None:
        """Serve in this thread until `KeyboardInterrupt` (which propagates), then release the port."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever(poll_interval=poll_interval)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving, release held (timed-out) connections and join the thread."""
        if self._server is None:
            return
        if self._thread is not None:
            self._stopping.set()
            self._server.shutdown()  # only while a loop runs: it waits for the loop to end
        self._close()

    def _close(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
