"""`CallbackOutbox`: which callbacks are due, what each carries, and what became of it.

Pure: it never sends. The engine tells it which tasks have a `callback_url` (`watch`);
`observe(now, render)` notices their state changes and plans one delivery per change
(`processing`, `success`, `failed`: a task seen going from `queued` straight to its end
gets its `processing` first); a face takes what is `due(now)` and sends it (over HTTP
from a background worker, or straight into an in-process receiver), then reports back
(`settle`). A `success` or `failed` delivery that fails is tried again three times, after
`RETRY_BACKOFF_SECONDS` on the mock's clock. Every delivery, blocked or dropped ones too,
is journalled.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mockserver.contract.callbacks.faults import CallbackFault, CallbackRule, CallbackRules, CallbackState
from mockserver.contract.callbacks.signing import http_date, new_nonce, sign, signature_headers
from mockserver.contract.data.catalogue import Status
from mockserver.contract.jobs.lifecycle import JobView, Task

__all__ = [
    "EXTRA_FIELD",
    "MAX_ATTEMPTS",
    "RETRY_BACKOFF_SECONDS",
    "STATE_OF_STATUS",
    "CallbackOutbox",
    "Delivery",
    "DeliveryRecord",
    "Outbound",
    "Outcome",
]

#: How long after a failed attempt the next one is due, on the mock's clock: Vidu retries a
#: `success` or `failed` delivery three times (its pages give no intervals; ours are short).
RETRY_BACKOFF_SECONDS = (1.0, 2.0, 4.0)
MAX_ATTEMPTS = 1 + len(RETRY_BACKOFF_SECONDS)
#: The job statuses the engine keeps, by the state name a callback carries.
STATE_OF_STATUS: dict[Status, CallbackState] = {"in_progress": "processing", "completed": "success", "failed": "failed"}
_FINAL: frozenset[CallbackState] = frozenset({"success", "failed"})
#: The field the `extra_field` fault adds to a body: a receiver must ignore what it does not know.
EXTRA_FIELD = ("vidu_mock_unknown_field", "a field this receiver has never seen")
MAX_URL = 2048
MAX_WATCHED = 10_000
MAX_PLANNED_JOBS = 1_000

Outcome = Literal["delivered", "failed", "blocked", "dropped"]
#: Builds the poll body of a task in a view, given the base URL the create came in on.
Render = Callable[[Task, JobView, str], dict[str, Any]]


@dataclass(slots=True)
class Delivery:
    """One planned POST of one state of one task (an attempt; retries are new attempts)."""

    number: int
    task_id: str
    state: CallbackState
    url: str
    body: dict[str, Any]
    due: float
    token: str = field(repr=False)
    attempt: int = 1
    fault: CallbackFault | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A delivery ready to send: URL, headers (signed now, with a fresh nonce and Date) and body bytes."""

    delivery: Delivery
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """What became of one attempt: the receiver's status or the error, and how long it took."""

    seq: int
    time: float
    task_id: str
    state: CallbackState
    url: str
    attempt: int
    outcome: Outcome
    status: int | None = None
    error: str | None = None
    latency_ms: float | None = None
    fault: CallbackFault | None = None
    number: int = 0  # the delivery this attempt belongs to (a duplicate is a delivery of its own)

    @property
    def ok(self) -> bool:
        """Whether the receiver took it (a 2xx)."""
        return self.outcome == "delivered"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


@dataclass(slots=True)
class _Watch:
    task: Task
    url: str
    token: str = field(repr=False)
    base_url: str = ""
    sent: list[CallbackState] = field(default_factory=list)
    held: list[Delivery] = field(default_factory=list)  # `processing` held back by `out_of_order`


class CallbackOutbox:
    """The tasks to call back, the deliveries due, the rules that fault them and the delivery journal."""

    def __init__(self, max_journal: int = 1_000, max_watched: int = MAX_WATCHED) -> None:
        self.rules = CallbackRules()
        self._watched: OrderedDict[str, _Watch] = OrderedDict()
        self._queue: list[Delivery] = []
        self._records: deque[DeliveryRecord] = deque(maxlen=max(max_journal, 0))
        self._max_watched = max_watched
        # Jobs created so far (calling-back dialects), and the faults planned by job number.
        self._created = 0
        self._plans: dict[int, list[CallbackRule]] = {}
        self._seq = 0
        self._number = 0
        self._in_flight = 0  # taken by `due` and not yet settled or blocked
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)  # notified whenever a delivery is queued or settled

    # -- what the engine tells it ----------------------------------------------------------
    def watch(self, task: Task, url: str, token: str, base_url: str = "") -> None:
        """Call `url` back on `task`'s state changes, signed with `token` (kept here, never sent or shown)."""
        with self._lock:
            self._watched[task.id] = _Watch(task, url[:MAX_URL], token, base_url)
            while len(self._watched) > self._max_watched:
                gone, _ = self._watched.popitem(last=False)
                self.rules.forget_task(gone)

    def plan(self, rule: CallbackRule, job: int = 1) -> CallbackRule:
        """Fault the callbacks of the `job`-th job created from now on (1: the next) with `rule`."""
        if not isinstance(job, int) or isinstance(job, bool) or not 1 <= job <= MAX_PLANNED_JOBS:
            raise ValueError(f"job must be an integer from 1 to {MAX_PLANNED_JOBS}")
        if rule.task_id is not None:
            raise ValueError("a planned rule binds to its job: it names no task_id")
        with self._lock:
            if sum(map(len, self._plans.values())) >= MAX_PLANNED_JOBS:
                raise ValueError(f"at most {MAX_PLANNED_JOBS} callback faults may be planned")
            self._plans.setdefault(self._created + job, []).append(rule)
        return rule

    def job_created(self) -> list[CallbackRule]:
        """Count one created job and give up the faults planned for it."""
        with self._lock:
            self._created += 1
            return self._plans.pop(self._created, [])

    def planned(self) -> dict[int, list[CallbackRule]]:
        """The faults planned, by job number counted from the next created job (1)."""
        with self._lock:
            return {number - self._created: list(rules) for number, rules in sorted(self._plans.items())}

    def clear_plans(self) -> None:
        """Forget the planned faults."""
        with self._lock:
            self._plans.clear()

    @property
    def watched(self) -> int:
        """How many tasks are watched."""
        return len(self._watched)

    def watching(self, task_id: str) -> bool:
        """Whether `task_id` has a callback URL."""
        return task_id in self._watched

    def add_rule(self, rule: CallbackRule) -> CallbackRule:
        """Queue a fault rule (per task when `rule.task_id` is set, else for any task)."""
        self.rules.add(rule)
        return rule

    def observe(self, now: float, render: Render) -> int:
        """Plan a delivery for each state change of a watched task since the last look; how many were planned."""
        if not self._watched:
            return 0
        planned = 0
        with self._lock:
            for watch in list(self._watched.values()):
                view = watch.task.view(now)
                state = STATE_OF_STATUS.get(view.status)
                if state is None or state in watch.sent:
                    continue
                if state in _FINAL and "processing" not in watch.sent:
                    # Vidu's tasks pass through `processing`: its delivery is owed even when nobody saw it.
                    processing = JobView("in_progress", max(1, min(view.progress, 99)))
                    planned += self._plan(watch, "processing", render(watch.task, processing, watch.base_url), now)
                planned += self._plan(watch, state, render(watch.task, view, watch.base_url), now)
                if state in _FINAL:
                    # Nothing more to say (retries carry what they need): stop looking at it.
                    del self._watched[watch.task.id]
                    self.rules.forget_task(watch.task.id)
            if planned:
                self.changed.notify_all()
        return planned

    def _plan(self, watch: _Watch, state: CallbackState, body: dict[str, Any], now: float) -> int:
        watch.sent.append(state)
        rule = self.rules.take(watch.task.id, state)
        fault = None if rule is None else rule.fault
        if fault == "drop":
            self._record(now, self._new(watch, state, body, now, fault), "dropped")
            return 0
        if fault == "extra_field":
            body = {**body, EXTRA_FIELD[0]: EXTRA_FIELD[1]}
        delivery = self._new(watch, state, body, now + (rule.delay_ms / 1000 if rule else 0.0), fault)
        if fault == "out_of_order":
            watch.held.append(delivery)  # sent right after the task's final state
            return 0
        self._queue.append(delivery)
        planned = 1
        if fault == "duplicate":
            self._queue.append(self._new(watch, state, body, now, fault))
            planned += 1
        if state in _FINAL:
            for held in watch.held:
                self._number += 1  # after the final state's delivery, in the queue's order too
                held.number, held.due = self._number, now
                self._queue.append(held)
                planned += 1
            watch.held.clear()
        return planned

    def _new(
        self, watch: _Watch, state: CallbackState, body: dict[str, Any], due: float, fault: CallbackFault | None
    ) -> Delivery:
        self._number += 1
        return Delivery(self._number, watch.task.id, state, watch.url, body, due, watch.token, 1, fault)

    # -- what a face does ------------------------------------------------------------------
    def next_due(self) -> float | None:
        """When the earliest queued delivery is due (mock clock), if any."""
        with self._lock:
            return min((d.due for d in self._queue), default=None)

    def due(self, now: float) -> list[Outbound]:
        """Take every delivery due at `now`, in order, each signed now with a fresh nonce and Date."""
        with self._lock:
            ready = sorted((d for d in self._queue if d.due <= now), key=lambda d: (d.due, d.number, d.attempt))
            if not ready:
                return []
            taken = {id(d) for d in ready}
            self._queue = [d for d in self._queue if id(d) not in taken]
            self._in_flight += len(ready)
        return [self._outbound(delivery, now) for delivery in ready]

    @staticmethod
    def _outbound(delivery: Delivery, now: float) -> Outbound:
        headers = {
            "Content-Type": "application/json",
            **signature_headers(delivery.token, delivery.url, http_date(now), new_nonce()),
        }
        if delivery.fault == "bad_signature":
            # Signed with a key that is not the task's token, so only a receiver that checks notices.
            headers["X-HMAC-SIGNATURE"] = sign("not-the-task-token:" + new_nonce(), headers["X-HMAC-SIGNATURE"])
        body = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False).encode()
        return Outbound(delivery, delivery.url, headers, body)

    def settle(
        self, delivery: Delivery, now: float, *, status: int | None = None, error: str | None = None, latency_ms: float
    ) -> DeliveryRecord:
        """Journal one attempt's result; a failed `success`/`failed` is queued again after its back-off."""
        ok = status is not None and 200 <= status < 300 and error is None
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            record = self._record(now, delivery, "delivered" if ok else "failed", status, error, latency_ms)
            if not ok and delivery.state in _FINAL and delivery.attempt < MAX_ATTEMPTS:
                retry = RETRY_BACKOFF_SECONDS[delivery.attempt - 1]
                delivery.attempt += 1
                delivery.due = now + retry
                self._queue.append(delivery)
            self.changed.notify_all()
        return record

    def block(self, delivery: Delivery, now: float, reason: str) -> DeliveryRecord:
        """Journal a delivery the face refused to attempt (`reason` says why); it is never retried."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            record = self._record(now, delivery, "blocked", error=reason)
            self.changed.notify_all()
        return record

    def _record(
        self,
        now: float,
        delivery: Delivery,
        outcome: Outcome,
        status: int | None = None,
        error: str | None = None,
        latency_ms: float | None = None,
    ) -> DeliveryRecord:
        with self._lock:
            self._seq += 1
            record = DeliveryRecord(
                self._seq,
                now,
                delivery.task_id,
                delivery.state,
                delivery.url,
                delivery.attempt,
                outcome,
                status,
                None if error is None else error[:300],
                None if latency_ms is None else round(latency_ms, 3),
                delivery.fault,
                delivery.number,
            )
            self._records.append(record)
            return record

    # -- what tests read ------------------------------------------------------------------
    def journal(self) -> list[DeliveryRecord]:
        """Every attempt journalled, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def pending(self) -> int:
        """How many deliveries are queued or held (not yet attempted)."""
        with self._lock:
            return len(self._queue) + sum(len(w.held) for w in self._watched.values())

    def wait_settled(self, timeout: float) -> bool:
        """Wait (real time, at most `timeout` s) until every delivery taken is settled; whether it is."""
        with self.changed:
            return self.changed.wait_for(lambda: self._in_flight == 0, timeout)

    def clear_journal(self) -> None:
        """Forget the delivery journal; numbering starts again at 1."""
        with self._lock:
            self._records.clear()
            self._seq = 0

    def reset(self) -> None:
        """Forget watched tasks, queued deliveries, rules and the journal."""
        with self._lock:
            self._watched.clear()
            self._plans.clear()
            self._created = 0
            self._queue.clear()
            self.rules.clear()
            self._records.clear()
            self._seq = self._number = self._in_flight = 0
            self.changed.notify_all()
