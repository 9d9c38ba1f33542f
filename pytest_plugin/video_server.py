"""`VideoServer`: the real Flask server on a loopback port, for clients respx cannot patch.

requests, urllib, curl in a subprocess, another language's SDK: anything that speaks HTTP.
Flask is imported only when a server is built, so users of the in-process fake never load it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING

from mockserver.contract.admin.control import MockControl
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.settings import Settings
from pytest_plugin.options import DEFAULT_SETTINGS, new_clock

if TYPE_CHECKING:
    from mockserver.live import LiveServer
    from pytest_plugin.callback_receiver import CallbackReceiver
    from pytest_plugin.scenario import Scenario

__all__ = ["VideoServer", "VideoServerPool"]

LOOPBACK = "127.0.0.1"
#: How long (real time) a receiver waits for a delivery the server's sender thread has in flight.
IN_FLIGHT_SECONDS = 5.0


class VideoServer(MockControl):
    """The mock on `http://127.0.0.1:<free port>` in a daemon thread; a context manager, and a `MockControl`.

    Defaults: step lifecycle, a manual clock. Injected delays and faults happen for real on
    the socket (a `timeout` fault holds the connection until the client gives up).

        with VideoServer() as server:
            requests.post(f"{server.url}/v1/video/generations", json=..., headers=...)
    """

    def __init__(self, settings: Settings | None = None, *, clock: Clock | None = None) -> None:
        from mockserver.live import LiveServer
        from mockserver.state.backends import open_state

        settings = settings or DEFAULT_SETTINGS
        # `state=redis://...`: this server and every other process on that Redis are one mock.
        engine = ContractEngine(settings, clock or new_clock(), state=open_state(settings))
        super().__init__(engine)
        self.server: LiveServer = LiveServer(engine=engine, host=LOOPBACK, port=0)

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:54321` (valid once started)."""
        return self.server.url

    def receive_callbacks(self, receiver: CallbackReceiver) -> CallbackReceiver:
        """Serve `receiver` on loopback and let it wait on this server's clock; returns it."""
        from pytest_plugin.callback_delivery import CallbackDriver

        receiver.serve()
        receiver.driver = CallbackDriver(self, self.deliver_callbacks, in_flight_seconds=IN_FLIGHT_SECONDS)
        return receiver

    def deliver_callbacks(self) -> int:
        """Deliver over HTTP, from this thread, the callbacks due now (the server's own thread does so too)."""
        from pytest_plugin.callback_delivery import deliver_in_process

        return deliver_in_process(self.engine, ())

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self.server.running

    def start(self) -> VideoServer:
        """Bind a free loopback port and serve from a daemon thread; returns self."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (connections held by faults are released)."""
        self.server.stop()

    def reset(self, *, clock: Clock | None = None) -> None:
        """Forget tasks, journal and queued failures; with `clock`, run on that clock from now on."""
        with self.engine.lock:
            if clock is not None:
                self.engine.clock = clock
            super().reset()
            if self.engine.settings.replay:
                from mockserver.recordings.replaying import attach_replay

                attach_replay(self.engine)  # read again: the folder may have changed since the last test

    @contextmanager
    def play(self, scenario: Scenario) -> Iterator[VideoServer]:
        """Reset the server's state and play `scenario` for the block (see docs/scenarios.md); yields self.

        The clock keeps running as it was. Safe in a `@given` test with the function-scoped fixture.
        """
        from pytest_plugin.scenario import playing

        with playing(self, scenario):
            yield self

    @contextmanager
    def replay(self, folder: str | PathLike[str], *, match: str = "exact") -> Iterator[VideoServer]:
        """For the block, answer from the recordings in `folder` (docs/recordings.md); yields self.

        `match="loose"` matches a create on its model and mode only. Control methods, the
        journal and injection work as usual; a request no recording matches gets a near-miss 404.
        """
        from mockserver.recordings.replaying import replaying

        with replaying(self.engine, folder, match):
            yield self

    def __enter__(self) -> VideoServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class VideoServerPool:
    """Running servers keyed by their settings: each distinct `Settings` starts one server, reused after."""

    def __init__(self) -> None:
        self._servers: dict[Settings, VideoServer] = {}
        self._lock = threading.Lock()

    def get(self, settings: Settings = DEFAULT_SETTINGS) -> VideoServer:
        """The running server for `settings`, started on first use."""
        with self._lock:
            server = self._servers.get(settings)
            if server is None:
                server = self._servers[settings] = VideoServer(settings).start()
            return server

    def __len__(self) -> int:
        return len(self._servers)

    def close(self) -> None:
        """Stop every server."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()
