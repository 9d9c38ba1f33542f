"""The HTTP server under `LiveServer`: one event loop (uvloop's, where installed) on its own thread.

Each connection is a `Connection` protocol calling the core's `Router.handle` directly:
no WSGI, no thread per connection, no Flask. With memory state the core runs on the loop
(it answers in microseconds and does no I/O); with state that does I/O (Redis) it runs on
a small thread pool, so a slow store never stalls other connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.routes.engine import ContractEngine
from mockserver.live.loop.connection import Connection, Shared
from mockserver.live.loop.exchange import HostUrls
from mockserver.live.loop.idle_spin import IdleSpin

__all__ = ["EventLoopServer", "listening_socket", "new_event_loop"]

# Connections the kernel queues before the loop accepts them.
_BACKLOG = 1024
# Threads that run the core when its state does I/O; more waiting connections queue.
_STATE_THREADS = 16
# How long stopping waits for closed connections to flush their last answers.
_FLUSH_SECONDS = 2.0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop (libuv, in C) where it is installed, else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows, which uvloop does not support
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (0 picks a free port) and listening; raises `OSError`.

    IPv6 when the host has a colon (`::1`, `[::1]`), else IPv4, as Werkzeug chose.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = socket.getaddrinfo(host.strip("[]"), port, family, socket.SOCK_STREAM, socket.IPPROTO_TCP)[0][4]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _finish(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class EventLoopServer:
    """Bound at construction; `serve_in_thread()` serves until `shutdown()`."""

    def __init__(
        self,
        handle: Callable[[Incoming], Outgoing],
        engine: ContractEngine,
        host: str,
        port: int,
        *,
        idle_seconds: float,
        read_seconds: float,
    ) -> None:
        self.socket = listening_socket(host, port)
        self.server_port: int = self.socket.getsockname()[1]
        executor = ThreadPoolExecutor(_STATE_THREADS, "vidu-mock-state") if engine.state.shared else None
        self._shared = Shared(handle, engine, HostUrls(host, self.server_port), idle_seconds, read_seconds, executor)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Future[None] | None = None

    @property
    def spin(self) -> IdleSpin | None:
        """The idle spin of a serving server (see `serve_in_thread`), None when it does not spin."""
        return self._shared.spin

    @property
    def running(self) -> bool:
        """Whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def serve_in_thread(self, name: str, *, spin_seconds: float = 0.0) -> threading.Thread:
        """Start serving on a daemon thread; returns once connections are being accepted.

        `spin_seconds` > 0 keeps the loop polling that long after each answer (`IdleSpin`);
        only for a server that owns its process, and only with memory state: with state
        that does I/O the core runs on other threads, which the spin would keep from the GIL.
        """
        ready = threading.Event()
        failed: list[BaseException] = []
        spin = spin_seconds if self._shared.executor is None else 0.0
        self._thread = threading.Thread(target=self._run, args=(ready, failed, spin), name=name, daemon=True)
        self._thread.start()
        ready.wait()
        if failed:
            raise failed[0]
        return self._thread

    def _run(self, ready: threading.Event, failed: list[BaseException], spin_seconds: float) -> None:
        loop = self._loop = new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            shared = self._shared
            shared.spin = IdleSpin(loop, spin_seconds) if spin_seconds > 0 else None
            server = loop.run_until_complete(
                loop.create_server(lambda: Connection(shared, loop), sock=self.socket, backlog=_BACKLOG)
            )
            self._stopped = loop.create_future()
        except BaseException as error:
            failed.append(error)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_until_complete(self._stopped)
            loop.run_until_complete(self._close(server))
        finally:
            loop.close()

    async def _close(self, server: asyncio.AbstractServer) -> None:
        shared = self._shared
        shared.stopping = True
        server.close()
        for connection in list(shared.connections):
            connection.shutdown()
        # Closed transports flush what they hold, then report lost; wait for that (bounded).
        for _ in range(int(_FLUSH_SECONDS / 0.01)):
            if not shared.connections:
                break
            await asyncio.sleep(0.01)
        if shared.executor is not None:
            shared.executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop accepting, end every connection (a delayed answer is sent at once), and join the thread."""
        loop, stopped, thread = self._loop, self._stopped, self._thread
        if loop is not None and stopped is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(_finish, stopped)
            thread.join(timeout=10)
        self.socket.close()
