"""`ContractEngine`: one request in, one response out, the whole contract applied.

Both faces call `handle()`: the Flask app turns WSGI into `Incoming`, the respx fake
turns an httpx request into it. State (tasks, journal, queued failures, clock) lives here.
"""

from __future__ import annotations

import hmac
import os
import random
import re
import threading
from functools import cache
from importlib.resources import files
from typing import Any

from mockserver.contract.catalogue import ErrorSpec, injectable_spec, is_offpeak_model
from mockserver.contract.clock import Clock, SystemClock
from mockserver.contract.errors import ApiError
from mockserver.contract.failures import FailureQueue, FailureRule
from mockserver.contract.job_plans import JobPlanQueue
from mockserver.contract.journal import Journal
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import FAILURE_CODE, FAILURE_MESSAGE, JobView, Outcome, Task
from mockserver.contract.prefer import Preferences, parse_prefer
from mockserver.contract.replies import Incoming, Outgoing, error_reply, json_reply
from mockserver.contract.settings import Settings
from mockserver.contract.store import TaskStore
from mockserver.contract.task_ids import decode_task_id, encode_task_id, owner_fingerprint
from mockserver.contract.validation import check_create, classify_mode

COLLECTION = "/v1/video/generations"
ADMIN_PREFIX = "/__mock/"
_TASK_PATH = re.compile(r"^/v1/video/generations/([^/]+)(/content)?/?$")
_TASK_ID = re.compile(r"^task_[A-Za-z0-9_-]{1,120}$")
MAX_JOURNALED_BODY = 64 * 1024
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
        self.job_plans = JobPlanQueue()
        self.lock = threading.RLock()
        self._rng = random.Random(self.settings.seed)
        self._epoch = 0
        # Configured tokens with their fingerprints, for the settings they were computed from.
        self._known_tokens: tuple[Settings, tuple[tuple[str, str], ...]] | None = None

    # -- entry point -------------------------------------------------------------------
    def handle(self, request: Incoming) -> Outgoing:
        """Answer one request. Never raises for anything a client can send."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        request_id = "req_" + os.urandom(12).hex()  # 24 random hex digits, without building a UUID
        prefs = _NO_PREFERENCES
        try:
            if request.path.startswith(ADMIN_PREFIX) or request.path == ADMIN_PREFIX.rstrip("/"):
                from mockserver.contract.admin import handle_admin

                reply = handle_admin(self, request, headers)
            else:
                prefer = headers.get("prefer")
                prefs = parse_prefer(prefer) if prefer else _NO_PREFERENCES
                reply = self._route(request, headers, prefs)
        except ApiError as error:
            reply = error_reply(error, self.settings.retry_after_ms)
        reply.headers["x-request-id"] = request_id
        if prefs.applied:
            reply.headers["Preference-Applied"] = ", ".join(prefs.applied)
        if prefs.retry is False:
            reply.headers["x-should-retry"] = "false"
        return reply

    def reset(self) -> None:
        """Forget tasks, journal and queued failures; ids issued before no longer resolve."""
        with self.lock:
            self.store.clear()
            self.journal.clear()
            self.failures.clear()
            self.job_plans.clear()
            self._epoch += 1
            self._rng = random.Random(self.settings.seed)
            reset_clock = getattr(self.clock, "reset", None)
            if reset_clock is not None:
                reset_clock()

    # -- routing -----------------------------------------------------------------------
    def _route(self, request: Incoming, headers: dict[str, str], prefs: Preferences) -> Outgoing:
        method = request.method.upper()
        path = request.path
        if path.rstrip("/") == COLLECTION:
            if method != "POST":
                raise ApiError("method_not_allowed", f"{method} is not allowed on {COLLECTION}; use POST.", "POST")
            return self._create(request, headers, prefs)
        match = _TASK_PATH.match(path)
        if match:
            if method not in ("GET", "HEAD"):
                raise ApiError("method_not_allowed", f"{method} is not allowed here; use GET.", "GET, HEAD")
            task_id, content = match.group(1), match.group(2)
            if content:
                return self._video(request, headers, prefs, task_id)
            return self._poll(request, headers, prefs, task_id)
        raise ApiError(
            "not_found",
            f"No endpoint at {path[:200]!r}. The API serves POST {COLLECTION} and GET {COLLECTION}/{{task_id}}.",
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
            # An HMAC per request costs more than the rest of the check; configured tokens are few.
            fingerprints = tuple((t, owner_fingerprint(settings.secret, t)) for t in settings.tokens)
            known = self._known_tokens = (settings, fingerprints)
        for candidate, fingerprint in known[1]:
            if hmac.compare_digest(token, candidate):
                return fingerprint
        raise ApiError("invalid_api_key")

    def _injection(
        self, endpoint: str, model: str | None, mode: str | None, prefs: Preferences
    ) -> tuple[ErrorSpec | None, Any, int, str | None]:
        """Decide what to inject: (error, fault, delay_ms, description)."""
        error: ErrorSpec | None = prefs.error
        fault = prefs.fault
        delay = prefs.delay_ms or 0
        described = "prefer" if (error or fault or delay) else None
        rule: FailureRule | None = self.failures.take(endpoint, model, mode)
        if rule is not None:
            error = error or rule.spec
            fault = fault or rule.fault
            delay += rule.delay_ms
            described = f"rule:{rule.error or rule.fault or 'delay'}"
        settings = self.settings
        low, high = settings.latency_ms
        if not (high > 0 or (settings.error_rate > 0 and error is None and fault is None)):
            return error, fault, delay, described  # nothing random to draw: no lock needed
        with self.lock:
            if error is None and fault is None and settings.error_rate > 0 and self._rng.random() < settings.error_rate:
                error = injectable_spec(self._rng.choice(settings.error_codes))
                described = f"random:{error.code}"
            if high > 0:
                delay += self._rng.randint(low, high)
        return error, fault, delay, described

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
        if request.size > MAX_JOURNALED_BODY:
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
    def _create(self, request: Incoming, headers: dict[str, str], prefs: Preferences) -> Outgoing:
        parsed: Any = None
        model = mode = task_id = None
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
            error, fault, delay, injected = self._injection("create", model, mode, prefs)
            if error is not None:
                reply = error_reply(error, self.settings.retry_after_ms)
            else:
                content_type = headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != "application/json" and not content_type.endswith("+json"):
                    raise ApiError(
                        "unsupported_media_type",
                        f"Content-Type is {content_type or 'missing'!r}; send application/json.",
                    )
                if parse_error is not None:
                    raise parse_error
                model, mode = check_create(parsed, strict=self.settings.strict)
                job = self._new_task(model, mode, owner, prefs.job)
                reply = json_reply(200, job)
                task_id = job["id"]
            reply.fault, reply.delay_ms = fault, delay
        except ApiError as api_error:
            reply = error_reply(api_error, self.settings.retry_after_ms)
            injected = task_id = None
        reply.task_id = task_id
        self._record(
            request, headers, reply, "create", body=parsed, task_id=task_id, model=model, mode=mode, injected=injected
        )
        return reply

    def _new_task(self, model: str, mode: Any, owner: str, job: str | None) -> dict[str, Any]:
        settings = self.settings
        now = self.clock.now()
        # The next queued plan belongs to this job, used up even when `Prefer: job=` overrides it.
        plan = self.job_plans.take()
        outcome: Outcome = "fail" if job == "fail" else "stall" if job == "stall" else "succeed"
        if plan is not None and job is None:
            outcome = plan.outcome
        task_id = encode_task_id(
            self._signing_key(), created_at=now, model=model, mode=mode, outcome=outcome, owner=owner
        )
        task = self._task_from_facts(task_id, now, model, mode, outcome, owner)
        task.lifecycle = "step" if settings.lifecycle == "step" else "time"
        if plan is not None:
            task.steps = plan.polls
        self.store.add(task)
        # CONTRACT §1: the create response is always `queued`, even with zero job timings.
        return job_body(task, _QUEUED, "")

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

    def _poll(self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str) -> Outgoing:
        model = mode = None
        injected = None
        try:
            owner = self._authenticate(headers)
            task = self.find_task(task_id) if _TASK_ID.match(task_id) else None
            if task is None or not hmac.compare_digest(task.owner, owner):
                raise ApiError("task_not_found", f"No task {task_id[:130]!r} for this API key.", "task_id")
            model, mode = task.model, task.mode
            error, fault, delay, injected = self._injection("poll", model, mode, prefs)
            if error is not None:
                reply = error_reply(error, self.settings.retry_after_ms)
            else:
                with self.lock:
                    view = task.poll(self.clock.now())
                reply = json_reply(200, job_body(task, view, request.base_url))
            reply.fault, reply.delay_ms = fault, delay
        except ApiError as api_error:
            reply = error_reply(api_error, self.settings.retry_after_ms)
        reply.task_id = task_id[:130]
        self._record(request, headers, reply, "poll", task_id=task_id[:130], model=model, mode=mode, injected=injected)
        return reply

    def _video(self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str) -> Outgoing:
        model = mode = None
        injected = None
        try:
            task = self.find_task(task_id) if _TASK_ID.match(task_id) else None
            if task is None or task.view(self.clock.now()).status != "completed":
                raise ApiError("task_not_found", "No completed video for this task.", "task_id")
            model, mode = task.model, task.mode
            error, fault, delay, injected = self._injection("content", model, mode, prefs)
            if error is not None:
                reply = error_reply(error, self.settings.retry_after_ms)
            else:
                video = sample_video()
                reply = Outgoing(200, {"Content-Type": "video/mp4", "Content-Length": str(len(video))}, video)
            reply.fault, reply.delay_ms = fault, delay
        except ApiError as api_error:
            reply = error_reply(api_error, self.settings.retry_after_ms)
        reply.task_id = task_id[:130]
        self._record(
            request, headers, reply, "content", task_id=task_id[:130], model=model, mode=mode, injected=injected
        )
        return reply


def job_body(task: Task, view: JobView, base_url: str) -> dict[str, Any]:
    """The job object of CONTRACT §1-2 for `task` as seen in `view`."""
    body: dict[str, Any] = {
        "id": task.id,
        "task_id": task.id,
        "object": "video.generation.job",
        "model": task.model,
        "status": view.status,
        "progress": view.progress,
        "created_at": int(task.created_at),
    }
    if view.status == "completed":
        body["completed_at"] = view.completed_at
        body["video_url"] = f"{base_url.rstrip('/')}{COLLECTION}/{task.id}/content"
    elif view.status == "failed":
        body["error"] = {"code": FAILURE_CODE, "message": FAILURE_MESSAGE}
    return body
