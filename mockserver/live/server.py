"""`LiveServer`: the one "start the mock on a port" class, for the CLI, the fixtures and the benches."""

from __future__ import annotations

import threading
from types import TracebackType

from mockserver.contract.admin.control import MockControl
from mockserver.contract.admin.guard import RequestGuard
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.router import Router
from mockserver.contract.settings import Settings
from mockserver.dashboard import dashboard_reply
from mockserver.live.callback_sender import CallbackSender
from mockserver.live.loop.idle_spin import IdleSpin
from mockserver.live.loop.server import EventLoopServer
from mockserver.recordings.replaying import attach_replay
from mockserver.state.backends import open_state

__all__ = ["LiveServer"]


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
        # The Host names it answers to follow from the interface it listens on (DNS rebinding).
        guard = RequestGuard.for_server(self.host, self.engine.settings.allow_host)
        self.router = Router(self.engine, page=dashboard_reply, guard=guard)
        self._port = settings.port if port is None else port
        self._server: EventLoopServer | None = None
        self._thread: threading.Thread | None = None
        self._callbacks: CallbackSender | None = None
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
    def idle_spin(self) -> IdleSpin | None:
        """How the server polls after an answer (`serve()` only), None when it does not spin."""
        return self._server.spin if self._server else None

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def bind(self) -> LiveServer:
        """Listen on the host and port (`OSError` if taken) without serving yet; returns self."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        settings = self.engine.settings
        self._server = EventLoopServer(
            self.router.handle,
            self.engine,
            self.host,
            self._port,
            idle_seconds=settings.idle_timeout_seconds,
            read_seconds=settings.read_timeout_seconds,
        )
        return self

    def start(self) -> LiveServer:
        """Bind (unless `bind()` did) and serve in a daemon thread; returns self."""
        return self._start(spin_us=0)

    def _start(self, spin_us: int) -> LiveServer:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        if self._server is None:
            self.bind()
        server = self._server
        assert server is not None
        try:
            self._thread = server.serve_in_thread(f"vidu-mock:{self.port}", spin_seconds=spin_us / 1e6)
            if self.engine.calls_back:  # Vidu's dialect: its callbacks go out from a thread of their own
                self._callbacks = CallbackSender(self.engine).start()
        except BaseException:
            self.stop()
            raise
        return self

    def serve(self, poll_interval: float = 0.1) -> None:
        """Serve until `KeyboardInterrupt` (which propagates), then release the port.

        The event loop runs on its own thread; this one waits, so Ctrl-C and SIGTERM
        reach it as they reach any Python program. The server owns the process here, so
        it spins for `idle_spin_us` after each answer (`mockserver.live.loop.idle_spin`);
        `start()`, which serves beside the caller's own threads, never does.
        """
        if self._thread is None:
            self._start(spin_us=self.engine.settings.idle_spin_us)
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                thread.join(poll_interval)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving: a delayed answer goes out at once, held (timed-out) connections close; joins the thread."""
        server, self._server, self._thread = self._server, None, None
        sender, self._callbacks = self._callbacks, None
        if sender is not None:
            sender.stop()
        if server is not None:
            server.shutdown()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
