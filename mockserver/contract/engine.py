"""`ContractEngine`: one request in, one response out, the whole contract applied.

Both faces call `handle()`: the Flask app turns WSGI into `Incoming`, the respx fake
turns an httpx request into it. State (tasks, journal, queued failures, clock) lives here.
"""

from __future__ import annotations

import hmac
import random
import re
import threading
from functools import cache
from importlib.resources import files
from typing import Any

from mockserver.contract.catalogue import COLLECTION, TASK_ID_PATTERN, VIDEOS, Mode, is_offpeak_model
from mockserver.contract.clock import Clock, SystemClock
from mockserver.contract.dialects import Dialect, JobFacts, Route, dialect_named
from mockserver.contract.errors import ApiError
from mockserver.contract.failures import FailureQueue
from mockserver.contract.injection import Injection, decide
from mockserver.contract.journal import MAX_STORED_BODY, Journal
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import JobView, Outcome, Task
from mockserver.contract.prefer import JobPreference, Preferences, parse_prefer
from mockserver.contract.replies import Incoming, Outgoing, json_reply, malformed_reply, new_request_id
from mockserver.contract.settings import Settings
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

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        self.store = TaskStore(self.settings.max_tasks)
        self.journal = Journal(self.settings.max_journal)
        self.failures = FailureQueue()
        self.lock = threading.RLock()
        self._rng = random.Random(self.settings.seed)
        self._epoch = 0
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
            reply = self.dialect.error(error, self.settings.retry_after_ms, request_id)
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
        """Forget tasks, journal and queued failures; ids issued before no longer resolve."""
        with self.lock:
            self.store.clear()
            self.journal.clear()
            self.failures.clear()
            self._epoch += 1
            self._rng = random.Random(self.settings.seed)
            reset_clock = getattr(self.clock, "reset", None)
            if reset_clock is not None:
                reset_clock()

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
                return self._video(task_id, request_id)
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

    def _injection(self, endpoint: str, model: str | None, mode: str | None, prefs: Preferences) -> Injection:
        """What to inject into this request (see `injection.decide`); uses up a matching queued rule."""
        rule = self.failures.take(endpoint, model, mode)
        return decide(prefs.injection, None if rule is None else rule.injection, self.settings, self._rng, self.lock)

    def _record(
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
    ) -> None:
        if request.size > MAX_STORED_BODY:
            body = f"<{request.size} bytes, not kept>"
        self.journal.add(
            self.clock.now(),
            request.method.upper(),
            request.path[:2048],
            headers,
            body,
            reply.status,
            endpoint,
            task_id,
            model,
            mode,
            injected,
        )

    # -- create ------------------------------------------------------------------------
    def _create(self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str) -> Outgoing:
        parsed: Any = None
        model = task_id = None
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
            injection = self._injection("create", model, mode, prefs)
            injected = injection.source
            if injection.error is not None:
                reply = self.dialect.error(injection.error, self.settings.retry_after_ms, request_id)
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
                job = self._new_task(model, mode, owner, prefs.job, parsed.get("prompt"))
                reply = json_reply(200, job)
                task_id = job["id"]
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.dialect.error(api_error, self.settings.retry_after_ms, request_id)
            injected = task_id = None
        reply.task_id = task_id
        self._record(
            request, headers, reply, "create", body=parsed, task_id=task_id, model=model, mode=mode, injected=injected
        )
        return reply

    def _new_task(
        self, model: str, mode: Mode, owner: str, job: JobPreference | None, prompt: str | None
    ) -> dict[str, Any]:
        settings = self.settings
        now = self.clock.now()
        outcome: Outcome = job or "succeed"
        task_id = encode_task_id(
            self._signing_key(), created_at=now, model=model, mode=mode, outcome=outcome, owner=owner
        )
        task = self._task_from_facts(task_id, now, model, mode, outcome, owner)
        task.lifecycle = "step" if settings.lifecycle == "step" else "time"
        task.prompt = prompt
        self.store.add(task)
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
        return Task(task_id, owner, model, mode, created, outcome, queued, running)

    def _signing_key(self) -> str:
        return f"{self.settings.secret}:{self._epoch}"

    # -- poll and download ---------------------------------------------------------------
    def find_task(self, task_id: str) -> Task | None:
        """The task with this id: stored, or derived from a signed id another worker issued."""
        task = self.store.get(task_id)
        if task is not None or not _TASK_ID.match(task_id) or self.settings.lifecycle != "time":
            return task
        facts = decode_task_id(self._signing_key(), task_id)
        if facts is None:
            return None
        task = self._task_from_facts(task_id, *facts)
        self.store.add(task)
        return task

    def _poll(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        task_id: str,
        route: Route,
        request_id: str,
    ) -> Outgoing:
        model = mode = None
        injected = None
        try:
            owner = self._authenticate(headers)
            task = self.find_task(task_id) if _TASK_ID.match(task_id) else None
            if task is None or not hmac.compare_digest(task.owner, owner):
                raise ApiError("task_not_found", f"No task {task_id[:130]!r} for this API key.", "task_id")
            model, mode = task.model, task.mode
            injection = self._injection("poll", model, mode, prefs)
            injected = injection.source
            if injection.error is not None:
                reply = self.dialect.error(injection.error, self.settings.retry_after_ms, request_id)
            else:
                with self.lock:
                    view = task.poll(self.clock.now())
                facts = JobFacts.of(task, view, video_url(request.base_url, task.id))
                reply = json_reply(200, self.dialect.job(route, facts))
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.dialect.error(api_error, self.settings.retry_after_ms, request_id)
        reply.task_id = task_id[:130]
        self._record(request, headers, reply, "poll", task_id=task_id[:130], model=model, mode=mode, injected=injected)
        return reply

    def _video(self, task_id: str, request_id: str) -> Outgoing:
        task = self.find_task(task_id) if _TASK_ID.match(task_id) else None
        status = None if task is None else task.view(self.clock.now()).status
        if status != "completed":
            return self.dialect.video_unavailable(status, request_id)
        video = sample_video()
        return Outgoing(200, {"Content-Type": "video/mp4", "Content-Length": str(len(video))}, video)


def video_url(base_url: str, task_id: str) -> str:
    """Where the mock serves a completed task's video (like a signed CDN link, no token needed)."""
    return f"{base_url.rstrip('/')}{COLLECTION}/{task_id}/content"
