"""`MemoryState`: the default `MockState`, in this process's memory (fast; one process only)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from mockserver.contract.injection.failures import FailureQueue, FailureRule
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.jobs.lifecycle import JobView, Task
from mockserver.contract.jobs.plans import JobPlan, JobPlanQueue
from mockserver.contract.state.in_flight import InFlight
from mockserver.contract.state.journal import Journal, JournalEntry
from mockserver.contract.state.protocol import Created, JournalFields, RuleKey, Turn
from mockserver.contract.state.store import TaskStore


class MemoryState:
    """Task objects, journal, failure and job-plan queues and epoch in memory; the clock keeps its own offset.

    Nothing here is seen by another process: under a multi-process server each worker has
    its own (see "Scale out" in README.md).
    """

    shared = False

    def __init__(self, max_tasks: int, max_journal: int) -> None:
        self.store = TaskStore(max_tasks)
        self.journal_log = Journal(max_journal)
        self.failures = FailureQueue()
        self.job_plans = JobPlanQueue()
        self.in_flight = InFlight()
        self.lock = threading.RLock()
        self._epoch = 0
        self._turn = Turn(0, 0.0)  # the answer when no rule fires: built once per epoch, not per request

    @property
    def epoch(self) -> int:
        """The reset epoch (exact: nothing else changes it)."""
        return self._epoch

    def refresh(self) -> tuple[int, float]:
        """The epoch and a zero offset (the engine's clock carries the offset here)."""
        return self._epoch, 0.0

    def guess(self) -> Turn | None:
        """None: here the state is read for free, so the engine always asks first."""
        return None

    def commit(
        self,
        guess: Turn,
        rules: RuleKey | None,
        clock_now: float,
        fields: JournalFields,
        created: Created | None = None,
    ) -> bool:
        """Never used (see `guess`): nothing is committed."""
        return False

    def poll(
        self, guess: Turn, task: Task, now: float, clock_now: float, fields: JournalFields, path: str = ""
    ) -> bool:
        """Never used (see `guess`): nothing is polled here."""
        return False

    def begin(
        self, endpoint: str, model: str | None, mode: str | None, epoch: int, task: Task | None = None, path: str = ""
    ) -> Turn:
        """Use up the first matching failure rule; task objects here are the records themselves."""
        rule = self.failures.take(endpoint, model, mode, path)
        if rule is None:
            return self._turn
        return Turn(self._epoch, 0.0, rule)

    def add_task(self, task: Task) -> None:
        """Keep the task object (the oldest go first beyond the cap)."""
        self.store.add(task)

    def local_task(self, task_id: str) -> Task | None:
        """The stored task object."""
        return self.store.get(task_id)

    def load_task(self, task: Task) -> None:
        """Nothing to load: the object is the record."""

    def change_task(self, task: Task, change: Callable[[Task], JobView]) -> JobView:
        """Apply `change` under this state's lock."""
        with self.lock:
            return change(task)

    def newest_tasks(self, limit: int, derive: Callable[[str], Task | None]) -> tuple[list[Task], int]:
        """The stored task objects (nothing to derive)."""
        return self.store.newest(limit), len(self.store)

    def record(self, clock_now: float, fields: JournalFields, created: Created | None = None) -> None:
        """Journal one request (a created task is already stored, its plan taken)."""
        self.journal_log.add(clock_now, *fields)

    def journal(self) -> list[JournalEntry]:
        """Entries oldest first."""
        return self.journal_log.entries()

    def clear_journal(self) -> None:
        """Forget the journal."""
        self.journal_log.clear()

    def add_failure(self, rule: FailureRule) -> None:
        """Queue a rule."""
        self.failures.add(rule)

    def pending_failures(self) -> list[FailureRule]:
        """Rules still queued."""
        return self.failures.pending()

    def clear_failures(self) -> None:
        """Drop every rule."""
        self.failures.clear()

    def add_job_plan(self, plan: JobPlan) -> None:
        """Queue a plan."""
        self.job_plans.add(plan)

    def take_job_plan(self) -> JobPlan | None:
        """The next plan, used up."""
        return self.job_plans.take()

    def pending_job_plans(self) -> list[JobPlan]:
        """Plans still queued."""
        return self.job_plans.pending()

    def clear_job_plans(self) -> None:
        """Drop every plan."""
        self.job_plans.clear()

    def in_flight_ids(self, owner: str) -> list[str]:
        """The task ids and leases counted against `owner`'s cap, oldest first (some may be over since)."""
        return self.in_flight.ids(owner)

    def reserve_in_flight(self, owner: str, cap: int, lease: str, drop: list[str]) -> bool:
        """Drop `drop`, then hold a slot under `lease` unless `owner` is at `cap` (under one lock)."""
        return self.in_flight.reserve(owner, cap, lease, drop)

    def settle_in_flight(self, owner: str, lease: str, task_id: str | None) -> None:
        """Replace `lease` by the task it created, or free it (the create made none)."""
        self.in_flight.settle(owner, lease, task_id)

    def in_flight_owners(self, limit: int) -> list[str]:
        """The `limit` owners that reserved last, oldest first."""
        return self.in_flight.owners(limit)

    def advance_clock(self, clock: Clock, seconds: float) -> None:
        """Move `clock` itself; `TypeError` if it cannot be moved."""
        advance = getattr(clock, "advance", None)
        if advance is None:
            raise TypeError("this clock cannot be advanced")
        advance(seconds)

    def reset(self, clock: Clock) -> None:
        """Clear everything, start a new epoch and rewind `clock`'s offset."""
        with self.lock:
            self.store.clear()
            self.journal_log.clear()
            self.failures.clear()
            self.job_plans.clear()
            self.in_flight.clear()
            self._epoch += 1
            self._turn = Turn(self._epoch, 0.0)
            reset_clock = getattr(clock, "reset", None)
            if reset_clock is not None:
                reset_clock()


__all__ = ["MemoryState"]
