"""`MockControl`: the one control API behind the admin endpoints and both pytest fixtures; `ControlSurface` its shape."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from mockserver.contract.admin.callback_control import CallbackControl
from mockserver.contract.admin.journal_filters import check_journal_filters
from mockserver.contract.data.catalogue import Status
from mockserver.contract.injection.failures import Endpoint, FailureRule
from mockserver.contract.injection.filters import rule_path
from mockserver.contract.injection.prefer import Fault
from mockserver.contract.jobs.lifecycle import DEFAULT_STEPS, JobView, Outcome, Task
from mockserver.contract.jobs.plans import JobPlan
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.paths import dialect_routes
from mockserver.contract.state.journal import JournalEntry


class ControlSurface(ABC):
    """What a test steers a fake through, in process (`MockControl`) or over HTTP (the admin API client).

    The primitives are abstract; the helpers built on them (`requests`, `assert_requested`,
    `inject_fault`, `inject_latency`, `complete`, `fail`, `stall`) live here once.
    """

    @property
    @abstractmethod
    def journal(self) -> list[JournalEntry]:
        """Every journaled request, oldest first (bearer tokens redacted)."""

    @abstractmethod
    def queue_failure(
        self,
        error: str | int | None = None,
        *,
        times: int = 1,
        model: str | None = None,
        mode: str | None = None,
        endpoint: Endpoint | None = None,
        fault: Fault | None = None,
        delay_ms: int = 0,
        after: int = 0,
        retry_after_ms: int | None = None,
        required: bool = True,
        path: str | None = None,
    ) -> FailureRule:
        """Answer the next `times` matching requests with catalogue `error` (status or code), a fault or a delay.

        `after=n` lets the first n matching requests through normally first (rules queued later wait behind it).
        A filter that can never match (`model="viduq3-720p"`) is refused, naming the closest valid value.
        `retry_after_ms` is this rule's retry hint on a 429 or 503; `required=False` lets the rule still be
        pending when a test ends (the fixtures fail the test otherwise). `path` (a route of the dialect,
        `/v1/videos/{task_id}`) matches requests on that route only; `endpoint` left out is the path's,
        else `create`.
        """

    @property
    @abstractmethod
    def token_concurrency(self) -> int:
        """How many tasks one bearer token may have in flight before a create gets new-api's 429 (0: no cap)."""

    @abstractmethod
    def set_token_concurrency(self, per_token: int) -> int:
        """Cap the tasks each token may have in flight (0: no cap); returns the cap."""

    @abstractmethod
    def force(self, task_id: str, status: Status) -> JobView:
        """Pin a task to `status` (forward only)."""

    def requests(self, endpoint: str | None = None, **match: Any) -> list[JournalEntry]:
        """Journal entries for `endpoint` (`create`/`poll`/`content`) whose fields equal `match`.

        A filter no entry can have (an unknown field or endpoint) raises `ValueError` naming the closest.
        """
        check_journal_filters(endpoint, match)
        return [e for e in self.journal if _mismatch(e, endpoint, match) is None]

    def assert_requested(
        self, times: int | None = None, *, endpoint: str = "create", **match: Any
    ) -> list[JournalEntry]:
        """Assert how many `endpoint` requests matched (`model=`, `mode=`, `status=`…); at least one if `times` is None.

        On failure the message lists every request received and why each did not match.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not this helper's frames
        check_journal_filters(endpoint, match)  # a filter no entry can have would pass `times=0` unseen
        entries = self.journal  # read once: over HTTP each read is a round trip
        hits = [e for e in entries if _mismatch(e, endpoint, match) is None]
        if (times is None and hits) or len(hits) == times:
            return hits
        wanted = ", ".join(f"{k}={v!r}" for k, v in match.items()) or "anything"
        lines = [
            f"expected {'at least 1' if times is None else times} {endpoint} request(s) with {wanted}, got {len(hits)}."
        ]
        lines.append("Received:" if entries else "Received: no requests at all.")
        for entry in entries:
            reason = _mismatch(entry, endpoint, match)
            verdict = "match" if reason is None else f"near miss: {reason}"
            lines.append(
                f"  #{entry.seq} {entry.method} {entry.path} -> {entry.status} "
                f"(model={entry.model!r}, mode={entry.mode!r}) {verdict}"
            )
        raise AssertionError("\n".join(lines))

    def inject_fault(
        self, fault: Fault, *, times: int = 1, endpoint: Endpoint | None = None, **match: Any
    ) -> FailureRule:
        """Act out a network fault (`reset`, `empty`, `malformed`, `timeout`) on the next matching requests."""
        return self.queue_failure(None, times=times, endpoint=endpoint, fault=fault, **match)

    def inject_latency(
        self, delay_ms: int, *, times: int = 1, endpoint: Endpoint | None = None, **match: Any
    ) -> FailureRule:
        """Delay the next matching requests by `delay_ms` milliseconds."""
        return self.queue_failure(None, times=times, endpoint=endpoint, delay_ms=delay_ms, **match)

    def complete(self, task_id: str) -> JobView:
        """Finish a task successfully now."""
        return self.force(task_id, "completed")

    def fail(self, task_id: str) -> JobView:
        """Fail a task now."""
        return self.force(task_id, "failed")

    def stall(self, task_id: str) -> JobView:
        """Keep a task `in_progress` for good."""
        return self.force(task_id, "in_progress")


class MockControl(ControlSurface, CallbackControl):
    """Inspect and steer a running fake: journal, queued failures, task states and the clock."""

    def __init__(self, engine: ContractEngine) -> None:
        self.engine = engine

    # -- the journal -------------------------------------------------------------------
    @property
    def journal(self) -> list[JournalEntry]:
        """Every journaled request, oldest first (bearer tokens redacted)."""
        return self.engine.state.journal()

    # -- failures and faults ---------------------------------------------------------
    def queue_failure(
        self,
        error: str | int | None = None,
        *,
        times: int = 1,
        model: str | None = None,
        mode: str | None = None,
        endpoint: Endpoint | None = None,
        fault: Fault | None = None,
        delay_ms: int = 0,
        after: int = 0,
        retry_after_ms: int | None = None,
        required: bool = True,
        path: str | None = None,
    ) -> FailureRule:
        """Answer the next `times` matching requests with catalogue `error` (status or code), a fault or a delay.

        `after=n` lets the first n matching requests through normally first (rules queued later wait behind it).
        A filter that can never match (`model="viduq3-720p"`) raises `ValueError` naming the closest valid value.
        `retry_after_ms` is this rule's retry hint on a 429 or 503; `required=False` lets the rule still be
        pending when a test ends (the fixtures fail the test otherwise). `path` (a route of the dialect,
        `/v1/videos/{task_id}`) matches requests on that route only; `endpoint` left out is the path's,
        else `create`.
        """
        if path is not None and self.engine.replay is None:  # a recording may hold any dialect's routes
            path = rule_path(path, dialect_routes(self.engine.settings.dialect))
        rule = FailureRule(
            None if error is None else str(error),
            times,
            model,
            mode,
            endpoint,
            fault,
            delay_ms,
            after,
            retry_after_ms,
            required,
            path,
        )
        self.engine.state.add_failure(rule)
        return rule

    @property
    def pending_failures(self) -> list[FailureRule]:
        """Queued failure rules not yet used up."""
        return self.engine.state.pending_failures()

    # -- how the next jobs end -----------------------------------------------------------
    def plan_job(
        self, outcome: Outcome = "succeed", *, polls: int = DEFAULT_STEPS, reason: str | None = None
    ) -> JobPlan:
        """The next created job (after those already planned) ends with `outcome` (`succeed`, `fail`, `stall`).

        Under the step lifecycle its `polls`-th poll shows the final state. `Prefer: job=` still wins.
        `reason` (with `fail`) is the error code the failed job shows: Vidu's `err_code`, e.g.
        `AuditSubmitIllegal` (the `vidu` dialect).
        """
        plan = JobPlan(outcome, polls, reason)
        self.engine.state.add_job_plan(plan)
        return plan

    @property
    def pending_jobs(self) -> list[JobPlan]:
        """Job plans not yet used by a created job, next first."""
        return self.engine.state.pending_job_plans()

    # -- tasks and time ------------------------------------------------------------------
    def task(self, task_id: str) -> Task:
        """The task with `task_id`; `KeyError` if there is none."""
        task = self.engine.find_task(task_id)
        if task is None:
            raise KeyError(f"no task {task_id!r}")
        return task

    def tasks(self, limit: int = 200) -> list[tuple[Task, JobView]]:
        """The `limit` newest tasks with their current states (no poll counted), oldest first."""
        now = self.engine.now()
        return [(task, task.view(now)) for task in self.newest_tasks(limit)[0]]

    def newest_tasks(self, limit: int = 200) -> tuple[list[Task], int]:
        """The `limit` newest tasks, oldest first, and how many the state keeps."""
        engine = self.engine
        epoch = engine.state.refresh()[0] if engine.state.shared else engine.state.epoch
        return engine.state.newest_tasks(limit, lambda task_id: engine.task_routes.lookup(task_id, epoch))

    def state(self, task_id: str) -> JobView:
        """A task's current state, without counting a poll."""
        return self.task(task_id).view(self.engine.now())

    def force(self, task_id: str, status: Status) -> JobView:
        """Pin a task to `status` (forward only; `TransitionError` otherwise)."""
        task, now = self.task(task_id), self.engine.now()
        return self.engine.state.change_task(task, lambda forced: forced.pin(status, now))

    def advance(self, task_id: str) -> JobView:
        """Move a task exactly one state forward."""
        task, now = self.task(task_id), self.engine.now()
        return self.engine.state.change_task(task, lambda moved: moved.advance(now))

    def advance_clock(self, seconds: float) -> float:
        """Move the fake's clock forward; returns the new time. Jobs advance with it."""
        self.engine.state.advance_clock(self.engine.clock, seconds)
        return self.engine.now()

    def now(self) -> float:
        """The fake's current time (Unix seconds)."""
        return self.engine.now()

    @property
    def token_concurrency(self) -> int:
        """How many tasks one bearer token may have in flight before a create gets new-api's 429 (0: no cap)."""
        return self.engine.settings.token_concurrency

    def set_token_concurrency(self, per_token: int) -> int:
        """Cap the tasks each token may have in flight (0: no cap), in this process; returns the cap."""
        self.engine.settings = self.engine.settings.with_updates(token_concurrency=per_token)
        return per_token

    def reset(self) -> None:
        """Forget tasks, journal, queued failures and job plans; rewind the clock offset."""
        self.engine.reset()


def _mismatch(entry: JournalEntry, endpoint: str | None, match: dict[str, Any]) -> str | None:
    if endpoint is not None and entry.endpoint != endpoint:
        return f"endpoint is {entry.endpoint}"
    for key, wanted in match.items():
        got = getattr(entry, key, None)
        if got != wanted:
            return f"{key} is {got!r}, not {wanted!r}"
    return None


__all__ = ["ControlSurface", "MockControl"]
