"""`ContractEngine`: one request in, one response out, the whole contract applied.

Both faces call `handle()` (through `Router`): the Flask app turns WSGI into `Incoming`,
the respx fake turns an httpx request into it. What tests steer (tasks, journal, queued
failures, clock offset, reset epoch) lives behind `MockState`: in memory by default, or
shared (Redis). The routes live in `create_route` and `task_routes`, their shared steps
in `engine_steps`.
"""

from __future__ import annotations

import random
import re

from mockserver.contract.data.catalogue import COLLECTION, VIDEOS
from mockserver.contract.dialects import Route
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.failures import FailureQueue
from mockserver.contract.injection.prefer import Preferences, parse_prefer
from mockserver.contract.jobs.plans import JobPlanQueue
from mockserver.contract.messages import Incoming, Outgoing, malformed_reply, new_request_id
from mockserver.contract.routes.create import CreateRoute
from mockserver.contract.routes.replay import ReplayRoute
from mockserver.contract.routes.steps import sample_video
from mockserver.contract.routes.tasks import TaskRoutes, video_url
from mockserver.contract.state.journal import Journal
from mockserver.contract.state.memory import MemoryState
from mockserver.contract.state.store import TaskStore
from mockserver.contract.vidu.routes import ViduRoutes

__all__ = ["ContractEngine", "sample_video", "video_url"]

# A task under either poll route: the collection's (group 1 set) or the compatibility one.
_TASK_PATH = re.compile(rf"^(?:({re.escape(COLLECTION)})|{re.escape(VIDEOS)})/([^/]+)(/content)?/?$")
_NO_PREFERENCES = Preferences()


class ContractEngine(ViduRoutes, CreateRoute, TaskRoutes, ReplayRoute):
    """The fake API: routes, validation, auth, injection, lifecycle and bounded state."""

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
            reply = self._refusal(error, request_id)
        reply.headers["x-request-id"] = request_id
        if prefs.applied:
            reply.headers["Preference-Applied"] = ", ".join(prefs.applied)
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
            self._vidu_reset()

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
            return self._replayed(self.replay, request, headers, prefs, request_id)
        if self.settings.dialect == "vidu":  # Vidu's own API: its routes only (contract/vidu/)
            return self._vidu_route(request, headers, prefs, request_id)
        method = request.method.upper()
        path = request.path
        if path.rstrip("/") == COLLECTION:
            if method != "POST":
                raise ApiError("method_not_allowed", f"{method} is not allowed on {COLLECTION}; use POST.", "POST")
            return self._create(request, headers, prefs, request_id)
        if path.rstrip("/") == VIDEOS:
            if method != "POST":
                raise ApiError("method_not_allowed", f"{method} is not allowed on {VIDEOS}; use POST.", "POST")
            return self._create(request, headers, prefs, request_id, "videos")
        match = _TASK_PATH.match(path)
        if match:
            if method not in ("GET", "HEAD"):
                raise ApiError("method_not_allowed", f"{method} is not allowed here; use GET.", "GET, HEAD")
            generations, task_id, content = match.groups()
            if content:
                return self._video(request, headers, prefs, task_id, request_id)
            route: Route = "generations" if generations else "videos"
            return self._poll(request, headers, prefs, task_id, route, request_id)
        raise ApiError(
            "not_found",
            f"No endpoint at {path[:200]!r}. The API serves POST {COLLECTION}, GET {COLLECTION}/{{task_id}}, "
            f"POST {VIDEOS} and GET {VIDEOS}/{{task_id}}.",
        )
