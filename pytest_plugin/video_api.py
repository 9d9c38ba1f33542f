"""`VideoAPI`: the fake API inside the test process, for httpx, httpx2, requests and aiohttp clients.

No server and no socket: respx patches the httpx clients' connection pools (`httpcore` for
httpx, `httpcore2` for httpx2 when installed), `responses` patches requests' adapters and
our own connector patch serves aiohttp (each when installed, see `client_bridges`), and
every request they catch is answered by a `ContractEngine`, the same one the live server
wraps, through `VideoAPI.where` and `VideoAPI.exchange` (the seam every bridge shares).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import respx
from respx.mocks import Mocker

from mockserver.contract.admin.control import MockControl
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.router import Router
from mockserver.contract.settings import Settings
from pytest_plugin.callback_delivery import CallbackDriver, deliver_in_process
from pytest_plugin.callback_receiver import CallbackReceiver
from pytest_plugin.client_bridges import ClientBridge, installed_bridges
from pytest_plugin.client_seam import LET_THROUGH, Where
from pytest_plugin.fake_host_guard import guard_fake_host, release_fake_host
from pytest_plugin.httpx_bridge import to_response
from pytest_plugin.options import DEFAULT_SETTINGS, new_clock
from pytest_plugin.url_scope import ApiScope

if TYPE_CHECKING:
    from pytest_plugin.scenario import Scenario

__all__ = ["RecordedDelay", "VideoAPI"]

HTTPCORE2 = "httpcore2"  # the name `HTTPCore2Mocker` registers under
_WHERE_CACHE = 1024  # URLs whose `where` is remembered (then forgotten all at once)


@dataclass(frozen=True, slots=True)
class RecordedDelay:
    """An injected delay the in-process fake recorded instead of sleeping through."""

    method: str
    path: str
    delay_ms: int


class VideoAPI(MockControl):
    """The fake API for httpx/httpx2, requests and aiohttp clients in this process; a context manager, and a `MockControl`.

    By default it answers the create, poll and video URLs (`/v1/video/generations…`) on any
    host, so clients keep their own base URL; `base_url` narrows it to everything under one
    base URL (unknown paths there get the API's JSON 404). Other requests are not mocked:
    each client gets its own "not mocked" error, and nothing reaches the network. Defaults:
    step lifecycle, a manual clock.

        with VideoAPI() as api:
            httpx.post("https://any.host/v1/video/generations", json=..., headers=...)
            api.assert_requested(mode="text-to-video")
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        base_url: str | None = None,
        clock: Clock | None = None,
        engine: ContractEngine | None = None,
    ) -> None:
        super().__init__(engine or ContractEngine(settings or DEFAULT_SETTINGS, clock or new_clock()))
        if self.engine.settings.replay and self.engine.replay is None:
            from mockserver.recordings.replaying import attach_replay  # reads files: only when asked

            attach_replay(self.engine)
        self.routes = Router(self.engine)
        self.scope = ApiScope(base_url)
        self.delays: list[RecordedDelay] = []
        self.router = respx.MockRouter(assert_all_called=False, using="httpcore")
        self.router.route(name="vidu-mock").mock(side_effect=self._answer)
        self._extra_mockers: list[Any] = []
        self._bridges: list[ClientBridge] = []
        self._active = False
        self._let_through: list[ApiScope] = []
        self.callback_receivers: list[CallbackReceiver] = []
        self._where_by_text: dict[
            str, tuple[Where | str | None]
        ] = {}  # `where` of URLs given as text, at most _WHERE_CACHE

    @property
    def url(self) -> str:
        """A base URL this fake answers: `base_url` if narrowed, else `https://vidu-mock.test`."""
        return self.scope.url

    @property
    def base_url(self) -> str | None:
        """The base URL this fake is narrowed to (a trailing `/v1` dropped), or None for any host."""
        return self.scope.base_url

    @property
    def active(self) -> bool:
        """Whether clients are being intercepted."""
        return self._active

    def let_through(self, base_url: str) -> None:
        """Never answer requests under `base_url`: they reach the network (e.g. a live server's URL).

        The `video_api` fixture does this for `video_server.url` when a test uses both.
        """
        self._let_through.append(ApiScope(base_url))
        self._where_by_text.clear()

    def receive_callbacks(self, receiver: CallbackReceiver) -> CallbackReceiver:
        """Deliver callbacks to `receiver.fake_url` straight into `receiver` (no socket); returns it."""
        self.callback_receivers.append(receiver)
        receiver.driver = CallbackDriver(self, self.deliver_callbacks)
        return receiver

    def deliver_callbacks(self) -> int:
        """Deliver the callbacks due now (on this fake's clock); how many were taken (docs/callbacks.md).

        Called before each request this fake answers and whenever a receiver is read, so a
        delivery never holds up an answer.
        """
        return deliver_in_process(self.engine, self.callback_receivers)

    def start(self) -> VideoAPI:
        """Start intercepting httpx (and httpx2, requests, aiohttp when installed) clients; returns self."""
        if self.active:
            raise RuntimeError("this VideoAPI is already started")
        self.router.start()
        self._active = True
        guard_fake_host()
        try:
            mocker = _httpcore2_mocker()
            if mocker is not None:
                self._extra_mockers.append(mocker)
                mocker.register(self.router)
                mocker.start()
            for bridge in installed_bridges(self):
                self._bridges.append(bridge)
                bridge.start()
        except BaseException:
            self.stop()  # never leave clients patched by a fake nobody will stop
            raise
        return self

    def stop(self) -> None:
        """Stop intercepting; state (tasks, journal) is kept for inspection."""
        while self._bridges:
            self._bridges.pop().stop()
        while self._extra_mockers:
            mocker = self._extra_mockers.pop()
            mocker.unregister(self.router)
            mocker.stop()
        if self._active:
            self._active = False
            self.router.stop(clear=False, reset=False)
            release_fake_host()

    def __enter__(self) -> VideoAPI:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget tasks, journal, queued failures, job plans and recorded delays."""
        super().reset()
        self.delays.clear()

    @contextmanager
    def play(self, scenario: Scenario) -> Iterator[VideoAPI]:
        """Reset the fake and play `scenario` for the block (see docs/scenarios.md); yields self.

        Safe in a `@given` test with the function-scoped fixture: every example starts afresh.
        """
        from pytest_plugin.scenario import playing

        with playing(self, scenario):
            yield self

    @contextmanager
    def replay(self, folder: str | PathLike[str], *, match: str = "exact") -> Iterator[VideoAPI]:
        """For the block, answer from the recordings in `folder` (docs/recordings.md); yields self.

        `match="loose"` matches a create on its model and mode only. Control methods, the
        journal and injection work as usual; a request no recording matches gets a near-miss 404.
        """
        from mockserver.recordings.replaying import replaying

        with replaying(self.engine, folder, match):
            yield self

    def where(self, url: httpx.URL | str) -> Where | str | None:
        """Whether this fake answers `url`: its `Where`, `LET_THROUGH` (send it untouched), or None (not ours)."""
        if isinstance(url, httpx.URL):
            return self._where(url)
        # Parsing a URL costs more than the engine's answer to a poll: a string is parsed once.
        remembered = self._where_by_text.get(url)  # one lookup: another thread may clear it meanwhile
        if remembered is not None:
            return remembered[0]
        known = self._where(httpx.URL(url))
        if len(self._where_by_text) >= _WHERE_CACHE:
            self._where_by_text.clear()
        self._where_by_text[url] = (known,)
        return known

    def _where(self, url: httpx.URL) -> Where | str | None:
        if any(scope.split(url) is not None for scope in self._let_through):
            return LET_THROUGH
        split = self.scope.split(url)
        return None if split is None else Where(*split, query=url.query.decode("ascii", "replace"))

    def exchange(self, method: str, where: Where, headers: Mapping[str, str], body: bytes) -> Outgoing:
        """The engine's answer to one request (journalled); its delay is recorded in `delays`, never slept."""
        incoming = Incoming(
            method, where.path, headers, body, base_url=where.base_url, remote_addr=None, query=where.query
        )
        if self.engine.callbacks.watched or self.engine.callbacks.pending:
            self.deliver_callbacks()  # what earlier answers and the admin calls made due, before this answer
        reply = self.routes.handle(incoming)
        if reply.delay_ms:
            self.delays.append(RecordedDelay(method, where.path, reply.delay_ms))
        return reply

    def _answer(self, request: httpx.Request) -> httpx.Response | httpx.Request | None:
        where = self.where(request.url)
        if where == LET_THROUGH:
            return request  # respx's pass-through: sent over the network, untouched
        if not isinstance(where, Where):
            return None  # not ours: respx tries its other routes and routers
        reply = self.exchange(request.method, where, dict(request.headers.items()), request.content)
        return to_response(reply, request, where)


def _httpcore2_mocker() -> Any:
    """respx's mocker for httpx2 clients, or None when httpx2 (httpcore2) is not installed."""
    registered = Mocker.registry.get(HTTPCORE2)
    if registered is not None:
        # Registered once per process: a module re-imported (pytester drops modules) must not redefine it.
        return registered
    try:
        from pytest_plugin.httpcore2_mocker import HTTPCore2Mocker
    except ModuleNotFoundError as missing:
        if missing.name != "httpcore2":
            raise
        return None
    return HTTPCore2Mocker
