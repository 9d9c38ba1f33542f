"""`EngineSteps`: what every API route of the engine shares.

The state, the clock and the dialect; authentication, the state read a request takes,
injection, refusals in the dialect's shape, the journal entry, and building a task
from its facts. `ContractEngine` is one; each route object (`CreateRoute`, `TaskRoutes`,
`ReplayRoute`) is given it.
"""

from __future__ import annotations

import hmac
import random
import threading
from functools import cache
from importlib.resources import files
from time import perf_counter
from typing import Any

from mockserver.contract.callbacks.outbox import CallbackOutbox
from mockserver.contract.data.catalogue import is_offpeak_model
from mockserver.contract.dialects import Dialect, dialect_named
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import Injection, decide, injected_error
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.jobs.clock import Clock, SystemClock
from mockserver.contract.jobs.ids import owner_fingerprint
from mockserver.contract.jobs.lifecycle import JobView, LifecycleMode, Outcome, Task
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.settings import Settings
from mockserver.contract.state.journal import MAX_STORED_BODY
from mockserver.contract.state.memory import MemoryState
from mockserver.contract.state.protocol import JournalFields, MockState, Turn, retry_after_ms

QUEUED = JobView("queued", 0)


@cache
def sample_video() -> bytes:
    """The small, playable MP4 every completed task links to (packaged, read once)."""
    return (files("mockserver.contract.data") / "media" / "sample.mp4").read_bytes()


class EngineSteps:
    """The engine's settings, clock, state and dialect, and the steps its routes share."""

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
        # Tasks created with a `callback_url`, their deliveries and the delivery journal (docs/callbacks.md).
        self.callbacks = CallbackOutbox(self.settings.max_journal, self.settings.max_tasks)

    @property
    def dialect(self) -> Dialect:
        """The dialect replies are shaped in (the `dialect` setting)."""
        return dialect_named(self.settings.dialect)

    def now(self) -> float:
        """The mock's current time: the clock plus the offset tests moved it by."""
        if not self.state.shared:
            return self.clock.now()  # the clock carries the offset itself
        return self.clock.now() + self.state.refresh()[1]

    # -- shared steps ------------------------------------------------------------------
    def authenticate(self, headers: dict[str, str], expected: str = "bearer") -> str:
        """The owner fingerprint of the request's `Authorization: <expected> <token>` (Vidu's scheme is `Token`)."""
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != expected or not token:
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

    def begin(self, endpoint: str, model: str | None, mode: str | None, path: str = "") -> Turn:
        """Read the state for a request (at `path`) without a task (a create), under the current epoch."""
        epoch = self.state.epoch
        while True:
            turn = self.state.begin(endpoint, model, mode, epoch, path=path)
            if turn.epoch == epoch:
                return turn
            epoch = turn.epoch  # a reset elsewhere: start again under the new epoch

    def injection(self, rule: FailureRule | None, prefs: Preferences) -> Injection:
        """What to inject into this request (see `injection.decide`), given the queued rule it used up."""
        return decide(prefs.injection, None if rule is None else rule.injection, self.settings, self._rng, self.lock)

    def refusal(self, error: ApiError, request_id: str) -> Outgoing:
        """A refused request's answer in the dialect's shape (a state outage asks for a longer wait)."""
        return self.dialect.error(error, retry_after_ms(error, self.settings.retry_after_ms), request_id)

    def injected_reply(self, injection: Injection, request_id: str) -> tuple[Outgoing, str]:
        """The answer to an injection that carries an error, worded to say it was injected, and its message
        for the journal. Its retry hint is the rule's own (`injection.retry_after_ms`), else the setting."""
        assert injection.error is not None, "an injection without an error has no injected reply"
        refused = injected_error(injection.error, injection.source)
        wait = self.settings.retry_after_ms if injection.retry_after_ms is None else injection.retry_after_ms
        return self.dialect.error(refused, wait, request_id), refused.message

    def journaled(
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
        fields = self.journal_fields(
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

    def journal_fields(
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

    def task_from_facts(
        self, task_id: str, created: float, model: str, mode: Any, outcome: Outcome, owner: str, off_peak: bool = False
    ) -> Task:
        settings = self.settings
        queued, running = settings.queued_seconds, settings.running_seconds
        if off_peak or is_offpeak_model(model):
            # Off-peak jobs take `offpeak_factor` times as long in all, the extra spent queued.
            queued = queued * settings.offpeak_factor + running * (settings.offpeak_factor - 1)
        lifecycle: LifecycleMode = "step" if settings.lifecycle == "step" else "time"
        return Task(task_id, owner, model, mode, created, outcome, queued, running, lifecycle)

    def signing_key(self, epoch: int) -> str:
        # The reset epoch is part of the key: ids issued before a reset no longer resolve.
        return f"{self.settings.secret}:{epoch}"
