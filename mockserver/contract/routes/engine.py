"""`ContractEngine`: one request in, one response out, the whole contract applied.

Both faces call `handle()` (through `Router`): the Flask app turns WSGI into `Incoming`,
the respx fake turns an httpx request into it. What tests steer (tasks, journal, queued
failures, clock offset, reset epoch) lives behind `MockState`: in memory by default, or
shared (Redis). The routes are objects the engine holds: `CreateRoute` (routes/create.py,
admitted by `ConcurrencyGate`, routes/concurrency.py), `RemixRoute` (routes/remix.py),
`TaskRoutes` (routes/tasks.py) and `ReplayRoute` (routes/replay.py), over the steps they
share (`EngineSteps`, routes/steps.py); `_route` picks one with the path classifier
(routes/paths.py).
"""

from __future__ import annotations

import random
from typing import Any

from mockserver.contract.callbacks.outbox import Outbound
from mockserver.contract.data.catalogue import COLLECTION, VIDEOS
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.failures import FailureQueue
from mockserver.contract.injection.prefer import Preferences, parse_prefer
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.jobs.lifecycle import Task
from mockserver.contract.jobs.plans import JobPlanQueue
from mockserver.contract.messages import Incoming, Outgoing, malformed_reply, new_request_id
from mockserver.contract.replay.matching import Replay
from mockserver.contract.routes.callback_steps import calls_back
from mockserver.contract.routes.concurrency import ConcurrencyGate
from mockserver.contract.routes.create import CreateRoute
from mockserver.contract.routes.paths import api_path
from mockserver.contract.routes.remix import RemixRoute
from mockserver.contract.routes.replay import ReplayRoute
from mockserver.contract.routes.steps import EngineSteps, sample_video
from mockserver.contract.routes.tasks import TaskRoutes, video_url
from mockserver.contract.settings import Settings
from mockserver.contract.state.journal import Journal
from mockserver.contract.state.memory import MemoryState
from mockserver.contract.state.protocol import MockState
from mockserver.contract.state.store import TaskStore
from mockserver.contract.vidu.records import ViduRecords
from mockserver.contract.vidu.routes import ViduRoutes
from mockserver.contract.vidu.watch import StateWatch

__all__ = ["ContractEngine", "sample_video", "video_url"]

_NO_PREFERENCES = Preferences()


class ContractEngine(EngineSteps):
    """The fake API: routes, validation, auth, injection, lifecycle and bounded state.

    The engine holds what every route shares (`EngineSteps`); `_route` picks the route object
    that answers: `create_route` (admitted by `concurrency`, the per-token cap), `remix_route`,
    `task_routes` (polls and downloads) or, while a recording is replayed, `replay_route`.
    """

    #: The recording that answers instead of the contract (a face sets it:
    #: `mockserver.recordings.replaying.attach_replay`; docs/recordings.md).
    replay: Replay | None = None

    def __init__(
        self, settings: Settings | None = None, clock: Clock | None = None, *, state: MockState | None = None
    ) -> None:
        super().__init__(settings, clock, state=state)
        self.task_routes = TaskRoutes(self)
        self.concurrency = ConcurrencyGate(self, self.task_routes)
        self.create_route = CreateRoute(self, self.concurrency)
        self.remix_route = RemixRoute(self, self.create_route, self.task_routes)
        self.replay_route = ReplayRoute(self)
        self.vidu_routes = ViduRoutes(self, self.create_route, self.task_routes)

    # -- entry point -------------------------------------------------------------------
    def handle(self, request: Incoming) -> Outgoing:
        """Answer one API request (admin paths are `Router`'s). Never raises for anything a client can send."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        request_id = new_request_id()
        prefs = _NO_PREFERENCES
        try:
            prefer = headers.get("prefer")
            prefs = parse_prefer(prefer) if prefer else _NO_PREFERENCES
            reply = self._route(request, headers, prefs, request_id)
        except ApiError as error:
            reply = self.refusal(error, request_id)
        reply.headers["x-request-id"] = request_id
        if prefs.applied:  # beside what a route honoured itself (`callback=` where a task is called back)
            honoured = reply.headers.get("Preference-Applied")
            reply.headers["Preference-Applied"] = ", ".join((*prefs.applied, honoured) if honoured else prefs.applied)
        if prefs.retry is False:
            reply.headers["x-should-retry"] = "false"
        if reply.fault == "malformed":
            reply = malformed_reply(reply)  # the core makes the reply; faces only act out connection faults
        return reply

    def reset(self) -> None:
        """Forget tasks, journal and queued failures, rewind the clock offset; ids issued before no longer resolve."""
        with self.lock:
            self.state.reset(self.clock)
            self.callbacks.reset()
            self._rng = random.Random(self.settings.seed)
            if self.replay is not None:
                self.replay.reset()
            self.vidu_routes.reset()

    def find_task(self, task_id: str) -> Task | None:
        """The task with this id as it stands now (on shared state: the current epoch and record)."""
        return self.task_routes.find_task(task_id)

    # -- Vidu's own API: the hooks its callbacks build on (contract/vidu/routes.py) ------
    @property
    def vidu_watch(self) -> StateWatch:
        """Where each Vidu state change an answer shows is reported (add listeners to `.listeners`)."""
        return self.vidu_routes.watch

    @property
    def vidu_records(self) -> ViduRecords:
        """What each Vidu task's answers echo (its request, credits, `callback_url`)."""
        return self.vidu_routes.records

    def vidu_poll_body(self, task_id: str, base_url: str) -> dict[str, Any] | None:
        """The poll body of `task_id` now, as `GET /ent/v2/tasks/{id}/creations` answers it (no poll counted)."""
        return self.vidu_routes.poll_body(task_id, base_url)

    # -- callbacks (docs/callbacks.md) -------------------------------------------------------
    @property
    def calls_back(self) -> bool:
        """Whether this engine's dialect calls a create's `callback_url` back (`vidu`)."""
        return calls_back(self.settings)

    def callbacks_due(self) -> list[Outbound]:
        """Note watched tasks' state changes since the last look, then take every delivery due now
        (mock clock), each signed now with a fresh nonce and Date."""
        outbox = self.callbacks
        now = self.now()
        outbox.observe(now, self.vidu_routes.callback_body)
        return outbox.due(now)

    # -- the in-memory state's parts, for tests and benchmarks that look inside -----------
    def _memory(self) -> MemoryState:
        if not isinstance(self.state, MemoryState):
            raise AttributeError("this engine keeps its state elsewhere; use engine.state")
        return self.state

    @property
    def store(self) -> TaskStore:
        """The in-memory task store (memory state only)."""
        return self._memory().store

    @property
    def journal(self) -> Journal:
        """The in-memory journal (memory state only; `state.journal()` works for any state)."""
        return self._memory().journal_log

    @property
    def failures(self) -> FailureQueue:
        """The in-memory failure queue (memory state only)."""
        return self._memory().failures

    @property
    def job_plans(self) -> JobPlanQueue:
        """The in-memory job-plan queue (memory state only)."""
        return self._memory().job_plans

    # -- routing -----------------------------------------------------------------------
    def _route(self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str) -> Outgoing:
        if self.replay is not None:  # a recording answers instead of the contract (docs/recordings.md)
            return self.replay_route.answer(self.replay, request, headers, prefs, request_id)
        if self.settings.dialect == "vidu":  # Vidu's own API: its routes only (contract/vidu/)
            return self.vidu_routes.handle(request, headers, prefs, request_id)
        method = request.method.upper()
        target = api_path(request.path)
        if target is None:
            raise ApiError(
                "not_found",
                f"No endpoint at {request.path[:200]!r}. The API serves POST {COLLECTION}, "
                f"GET {COLLECTION}/{{task_id}}, POST {VIDEOS}, GET {VIDEOS}/{{task_id}} "
                f"and POST {VIDEOS}/{{video_id}}/remix.",
            )
        if target.remix and target.task_id is not None:
            if not target.allows(method):
                raise ApiError("method_not_allowed", f"{method} is not allowed here; use POST.", "POST")
            return self.remix_route.handle(request, headers, prefs, request_id, target.task_id)
        if target.task_id is None:
            if method != "POST":
                where = target.collection
                raise ApiError("method_not_allowed", f"{method} is not allowed on {where}; use POST.", "POST")
            return self.create_route.handle(request, headers, prefs, request_id, target.route)
        if not target.allows(method):
            raise ApiError("method_not_allowed", f"{method} is not allowed here; use GET.", "GET, HEAD")
        if target.content:
            return self.task_routes.video(request, headers, prefs, target.task_id, request_id)
        return self.task_routes.poll(request, headers, prefs, target.task_id, target.route, request_id)
