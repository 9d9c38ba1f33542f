"""`ContractEngine`: one request in, one response out, the whole contract applied.

Both faces call `handle()`: the Flask app turns WSGI into `Incoming`, the respx fake
turns an httpx request into it. What tests steer (tasks, journal, queued failures, clock
offset, reset epoch) lives behind `MockState`: in memory by default, or shared (Redis).
"""

from __future__ import annotations

import hmac
import random
import re
import threading
from collections.abc import Callable
from functools import cache, partial
from importlib.resources import files
from time import perf_counter
from typing import Any

from mockserver.contract.catalogue import COLLECTION, TASK_ID_PATTERN, VIDEOS, ErrorSpec, Mode, is_offpeak_model
from mockserver.contract.clock import Clock, SystemClock
from mockserver.contract.dialects import Dialect, JobFacts, Route, dialect_named
from mockserver.contract.errors import ApiError
from mockserver.contract.failures import FailureQueue, FailureRule
from mockserver.contract.injected import injected_error
from mockserver.contract.injection import Injection, decide
from mockserver.contract.job_plans import JobPlanQueue
from mockserver.contract.journal import MAX_STORED_BODY, Journal
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import JobView, LifecycleMode, Outcome, Task
from mockserver.contract.memory_state import MemoryState
from mockserver.contract.prefer import JobPreference, Preferences, parse_prefer
from mockserver.contract.replies import Incoming, Outgoing, json_reply, malformed_reply, new_request_id
from mockserver.contract.settings import Settings
from mockserver.contract.state import JournalFields, MockState, Turn, retry_after_ms
from mockserver.contract.store import TaskStore
from mockserver.contract.task_ids import decode_task_id, encode_task_id, owner_fingerprint
from mockserver.contract.validation import check_create, classify_mode

# A task under either poll route: the collection's (group 1 set) or the compatibility one.
_TASK_PATH = re.compile(rf"^(?:({re.escape(COLLECTION)})|{re.escape(VIDEOS)})/([^/]+)(/content)?/?$")
_TASK_ID = re.compile(TASK_ID_PATTERN)
_NO_PREFERENCES = Preferences()
_QUEUED = JobView("queued", 0)


@cache
def sample_video() -> bytes:
    """The small, playable MP4 every completed task links to (packaged, read once)."""
    return (files("mockserver.contract") / "media" / "sample.mp4").read_bytes()


class ContractEngine:
    """The fake API: routes, validation, auth, injection, lifecycle and bounded state."""

    def __init__(
        self, settings: Settings | None = None, clock: Clock | None = None, *, state: MockState | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        self.state: MockState = state or MemoryState(self.settings.max_tasks, self.settings.max_journal)
        # Read now, not on the first download: reinstalling the package under a running
        # server replaces its files, and a lazy read would then fail with a 500.
        sample_video()
        self.lock = threading.RLock()
        self._rng = random.Random(self.settings.seed)
        # Configured tokens with their fingerprints, for the settings they were computed from.
        self._known_tokens: tuple[Settings, tuple[tuple[str, str], ...]] | None = None

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

    @property
    def dialect(self) -> Dialect:
        """The dialect replies are shaped in (the `dialect` setting)."""
        return dialect_named(self.settings.dialect)

    def reset(self) -> None:
        """Forget tasks, journal and queued failures, rewind the clock offset; ids issued before no longer resolve."""
        with self.lock:
            self.state.reset(self.clock)
            self._rng = random.Random(self.settings.seed)

    def now(self) -> float:
        """The mock's current time: the clock plus the offset tests moved it by."""
        if not self.state.shared:
            return self.clock.now()  # the clock carries the offset itself
        return self.clock.now() + self.state.refresh()[1]

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
        method = request.method.upper()
        path = request.path
        if path.rstrip("/") == COLLECTION:
            if method != "POST":
                raise ApiError("method_not_allowed", f"{method} is not allowed on {COLLECTION}; use POST.", "POST")
            return self._create(request, headers, prefs, request_id)
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
            f"No endpoint at {path[:200]!r}. The API serves POST {COLLECTION}, GET {COLLECTION}/{{task_id}} "
            f"and GET {VIDEOS}/{{task_id}}.",
        )

    # -- shared steps ------------------------------------------------------------------
    def _authenticate(self, headers: dict[str, str]) -> str:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError("missing_api_key")
        settings = self.settings
        if not settings.tokens:
            return owner_fingerprint(settings.secret, token)
        known = self._known_tokens
        if known is None or known[0] is not settings:
            # A keyed BLAKE2b per request costs more than the rest of the check; configured tokens are few.
            fingerprints = tuple((t, owner_fingerprint(settings.secret, t)) for t in settings.tokens)
            known = self._known_tokens = (settings, fingerprints)
        for candidate, fingerprint in known[1]:
            if hmac.compare_digest(token, candidate):
                return fingerprint
        raise ApiError("invalid_api_key")

    def _begin(self, endpoint: str, model: str | None, mode: str | None) -> Turn:
        """Read the state for a request without a task (a create), under the current epoch."""
        epoch = self.state.epoch
        while True:
            turn = self.state.begin(endpoint, model, mode, epoch)
            if turn.epoch == epoch:
                return turn
            epoch = turn.epoch  # a reset elsewhere: start again under the new epoch

    def _injection(self, rule: FailureRule | None, prefs: Preferences) -> Injection:
        """What to inject into this request (see `injection.decide`), given the queued rule it used up."""
        return decide(prefs.injection, None if rule is None else rule.injection, self.settings, self._rng, self.lock)

    def _refusal(self, error: ApiError, request_id: str) -> Outgoing:
        """A refused request's answer in the dialect's shape (a state outage asks for a longer wait)."""
        return self.dialect.error(error, retry_after_ms(error, self.settings.retry_after_ms), request_id)

    def _injected_error(self, spec: ErrorSpec, source: str | None, request_id: str) -> tuple[Outgoing, str]:
        """An injected error's answer, worded to say it was injected, and its message for the journal."""
        refused = injected_error(spec, source)
        return self.dialect.error(refused, self.settings.retry_after_ms, request_id), refused.message

    def _journaled(
        self,
        request: Incoming,
        headers: dict[str, str],
        reply: Outgoing,
        endpoint: str,
        task_id: str,
        model: str | None,
        mode: str | None,
        injected: str | None,
        started: float,
        message: str | None,
    ) -> Outgoing:
        """Journal a poll or download of `task_id` (cut to its longest valid form) and return `reply`."""
        reply.task_id = task_id[:130]
        fields = self._journal_fields(
            request,
            headers,
            reply,
            endpoint,
            task_id=reply.task_id,
            model=model,
            mode=mode,
            injected=injected,
            started=started,
            message=message,
        )
        self.state.record(self.clock.now(), fields)
        return reply

    def _journal_fields(
        self,
        request: Incoming,
        headers: dict[str, str],
        reply: Outgoing,
        endpoint: str,
        *,
        body: Any = None,
        task_id: str | None = None,
        model: str | None = None,
        mode: str | None = None,
        injected: str | None = None,
        started: float,
        message: str | None = None,
    ) -> JournalFields:
        """What the journal keeps of one request (`MockState.record` numbers and times it)."""
        if request.size > MAX_STORED_BODY:
            body = f"<{request.size} bytes, not kept>"
        method, path = request.method.upper(), request.path[:2048]
        # The engine's own time plus the delay the face will act out: what the client waits.
        latency = round((perf_counter() - started) * 1000 + reply.delay_ms, 3)
        return (method, path, headers, body, reply.status, endpoint, task_id, model, mode, injected, latency, message)

    # -- create ------------------------------------------------------------------------
    def _create(self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str) -> Outgoing:
        state = self.state
        guess = state.guess()
        if guess is not None:
            # Shared state in one round trip: answer on the state last seen, then journal the
            # request only if that state still holds and no failure rule matches it (atomically).
            # Otherwise (a rule is queued, a reset, a clock move) answer again the careful way.
            asked: list[tuple[str, str | None, str | None]] = []

            def assume(model: str | None, mode: Mode | None) -> Turn:
                asked.append(("create", model, mode))
                return guess

            reply, fields = self._create_reply(request, headers, prefs, request_id, assume)
            if state.commit(guess, asked[0] if asked else None, self.clock.now(), fields):
                return reply
        reply, fields = self._create_reply(request, headers, prefs, request_id, partial(self._begin, "create"))
        state.record(self.clock.now(), fields)
        return reply

    def _create_reply(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        request_id: str,
        take_turn: Callable[[str | None, Mode | None], Turn],
    ) -> tuple[Outgoing, JournalFields]:
        """The reply to a create and its journal entry; `take_turn(model, mode)` reads the state."""
        started = perf_counter()
        parsed: Any = None
        model = task_id = message = None
        # Classified once, here: failure rules match on it, validation and the new task reuse it.
        mode: Mode | None = None
        injected: str | None = None
        try:
            if request.size > self.settings.max_body_bytes:
                raise ApiError(
                    "payload_too_large",
                    f"The body is {request.size} bytes; the limit is {self.settings.max_body_bytes}.",
                )
            owner = self._authenticate(headers)
            # Parsed once: the result classifies the request for failure rules, and an
            # unparsable body is reported only after the Content-Type check below.
            parse_error: ApiError | None = None
            try:
                parsed = parse_json_body(request.body)
            except ApiError as bad_json:
                parse_error = bad_json
            if isinstance(parsed, dict):
                model = parsed.get("model") if isinstance(parsed.get("model"), str) else None
                mode = classify_mode(parsed)
            turn = take_turn(model, mode)
            injection = self._injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self._injected_error(injection.error, injected, request_id)
            else:
                content_type = headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != "application/json" and not content_type.endswith("+json"):
                    raise ApiError(
                        "unsupported_media_type",
                        f"Content-Type is {content_type or 'missing'!r}; send application/json.",
                    )
                if parse_error is not None:
                    raise parse_error
                model, mode = check_create(parsed, strict=self.settings.strict, mode=mode)
                job = self._new_task(model, mode, owner, prefs.job, turn, parsed.get("prompt"))
                reply = json_reply(200, job)
                task_id = job["id"]
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self._refusal(api_error, request_id)
            injected = task_id = None
            message = api_error.message
        reply.task_id = task_id
        fields = self._journal_fields(
            request,
            headers,
            reply,
            "create",
            body=parsed,
            task_id=task_id,
            model=model,
            mode=mode,
            injected=injected,
            started=started,
            message=message,
        )
        return reply, fields

    def _new_task(
        self, model: str, mode: Mode, owner: str, job: JobPreference | None, turn: Turn, prompt: str | None
    ) -> dict[str, Any]:
        now = self.clock.now() + turn.clock_offset
        # The next queued plan belongs to this job, used up even when `Prefer: job=` overrides it.
        plan = self.state.take_job_plan()
        outcome: Outcome = job or (plan.outcome if plan is not None else "succeed")
        task_id = encode_task_id(
            self._signing_key(turn.epoch), created_at=now, model=model, mode=mode, outcome=outcome, owner=owner
        )
        task = self._task_from_facts(task_id, now, model, mode, outcome, owner)
        task.prompt = prompt
        if plan is not None:
            task.steps = plan.polls
        self.state.add_task(task)
        # CONTRACT §1: the create response is always `queued`, even with zero job timings.
        return self.dialect.created(JobFacts.of(task, _QUEUED))

    def _task_from_facts(
        self, task_id: str, created: float, model: str, mode: Any, outcome: Outcome, owner: str
    ) -> Task:
        settings = self.settings
        queued, running = settings.queued_seconds, settings.running_seconds
        if is_offpeak_model(model):
            # Off-peak jobs take `offpeak_factor` times as long in all, the extra spent queued.
            queued = queued * settings.offpeak_factor + running * (settings.offpeak_factor - 1)
        lifecycle: LifecycleMode = "step" if settings.lifecycle == "step" else "time"
        return Task(task_id, owner, model, mode, created, outcome, queued, running, lifecycle)

    def _signing_key(self, epoch: int) -> str:
        # The reset epoch is part of the key: ids issued before a reset no longer resolve.
        return f"{self.settings.secret}:{epoch}"

    # -- poll and download ---------------------------------------------------------------
    def find_task(self, task_id: str) -> Task | None:
        """The task with this id as it stands now (on shared state: the current epoch and record)."""
        if not _TASK_ID.match(task_id):
            return None
        state = self.state
        task = self._lookup(task_id, state.refresh()[0] if state.shared else state.epoch)
        if task is not None and state.shared:
            state.load_task(task)
        return task

    def _lookup(self, task_id: str, epoch: int) -> Task | None:
        """The task this process holds, or one derived from its signed id (another worker issued it)."""
        state = self.state
        task = state.local_task(task_id)
        if task is not None:
            return task
        if not state.shared and self.settings.lifecycle != "time":
            return None  # a step task's poll count lives with the process that created it
        facts = decode_task_id(self._signing_key(epoch), task_id)
        if facts is None:
            return None
        task = self._task_from_facts(task_id, *facts)
        state.add_task(task)
        return task

    def _poll_turn(self, task_id: str, owner: str) -> tuple[Task, Turn]:
        """The polled task (404 unless `owner`'s) and the state read for its poll, under one epoch."""
        state = self.state
        epoch = state.epoch
        while True:
            task = self._lookup(task_id, epoch) if _TASK_ID.match(task_id) else None
            if task is None and state.shared and _TASK_ID.match(task_id):
                current = state.refresh()[0]  # an id from after a reset this process has not seen yet?
                if current != epoch:
                    epoch = current
                    continue
            if task is None or not hmac.compare_digest(task.owner, owner):
                raise ApiError("task_not_found", f"No task {task_id[:130]!r} for this API key.", "task_id")
            turn = state.begin("poll", task.model, task.mode, epoch, task)
            if turn.epoch == epoch:
                return task, turn
            epoch = turn.epoch

    def _poll(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        task_id: str,
        route: Route,
        request_id: str,
    ) -> Outgoing:
        started = perf_counter()
        model = mode = message = None
        injected = None
        try:
            owner = self._authenticate(headers)
            task, turn = self._poll_turn(task_id, owner)
            model, mode = task.model, task.mode
            injection = self._injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self._injected_error(injection.error, injected, request_id)
            else:
                now = self.clock.now() + turn.clock_offset
                view = self.state.change_task(task, lambda polled: polled.poll(now))
                facts = JobFacts.of(task, view, video_url(request.base_url, task.id))
                reply = json_reply(200, self.dialect.job(route, facts))
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self._refusal(api_error, request_id)
            message = api_error.message
        return self._journaled(request, headers, reply, "poll", task_id, model, mode, injected, started, message)

    def _video(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str, request_id: str
    ) -> Outgoing:
        started = perf_counter()
        model = mode = message = None
        injected = None
        try:
            task = self.find_task(task_id)
            status = None if task is None else task.view(self.now()).status
            if task is None or status != "completed":
                # Not yet there: the dialect's 404, and no failure rule is used up.
                reply = self.dialect.video_unavailable(status, request_id)
            else:
                model, mode = task.model, task.mode
                injection = self._injection(self._begin("content", model, mode).rule, prefs)
                injected = injection.source
                if injection.error is not None:
                    reply, message = self._injected_error(injection.error, injected, request_id)
                else:
                    video = sample_video()
                    reply = Outgoing(200, {"Content-Type": "video/mp4", "Content-Length": str(len(video))}, video)
                reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self._refusal(api_error, request_id)
            message = api_error.message
        return self._journaled(request, headers, reply, "content", task_id, model, mode, injected, started, message)


def video_url(base_url: str, task_id: str) -> str:
    """Where the mock serves a completed task's video (like a signed CDN link, no token needed)."""
    return f"{base_url.rstrip('/')}{COLLECTION}/{task_id}/content"
