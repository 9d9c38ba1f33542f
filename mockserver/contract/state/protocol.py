"""The state interface: where everything the admin API and the fixtures steer lives.

Tasks (forced states, step-mode poll counts), the request journal, queued failure rules,
queued job plans, the clock offset and the reset epoch sit behind one `MockState`. The engine talks only
to this interface, so the same contract runs on per-process memory (`MemoryState`, the
default) or on a store every worker and host shares (`mockserver.state.redis_state`, outside
this pure core because it does I/O).

A shared backend costs one round trip per API request: a create or poll is answered on
the state last seen (`guess`) and journaled only if that still holds (`commit`, `poll`);
otherwise it is answered again after `begin` reads the reset epoch and clock offset in
force and takes the failure rule the request uses up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.contract.errors import ApiError
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.jobs.lifecycle import JobView, Task
from mockserver.contract.jobs.plans import JobPlan
from mockserver.contract.state.journal import JournalEntry

#: What one journal entry holds besides its number and time, in `JournalEntry` field order:
# method, path, headers, body, status, endpoint, task_id, model, mode, injected, latency_ms, message
JournalFields = tuple[
    str, str, Mapping[str, str], Any, int, str, str | None, str | None, str | None, str | None, float, str | None
]


#: What a failure rule is matched on: endpoint, model, mode and the request's path (see `FailureRule.matches`).
RuleKey = tuple[str, str | None, str | None, str]


@dataclass(frozen=True, slots=True)
class Turn:
    """What one API request reads from the state before it acts.

    `clock_offset` is added to the engine clock's reading (a backend that keeps the
    offset in the clock itself, as `MemoryState` does, gives 0). `rule` is the queued
    failure this request used up, if any.
    """

    epoch: int
    clock_offset: float
    rule: FailureRule | None = None


@dataclass(frozen=True, slots=True)
class Created:
    """A task a create just made, for a shared backend to store with its journal entry.

    `outcome_chosen`: `Prefer: job=` set the outcome, so a job plan sets the poll count only.
    """

    task_id: str
    prompt: str | None
    outcome_chosen: bool


class StateUnavailable(ApiError):
    """The shared state cannot be reached (down or too slow): a 503 the client may retry."""

    def __init__(self, detail: str) -> None:
        self.detail = detail[:160]  # what went wrong, for the command's one line at start-up
        super().__init__(
            "state_unavailable",
            f"The mock's shared state is unreachable ({detail[:160]}); retry shortly.",
        )


#: The least `Retry-After` a `StateUnavailable` reply carries: a Redis restart takes a moment.
STATE_RETRY_AFTER_MS = 1000


def retry_after_ms(error: ApiError, configured_ms: int) -> int:
    """The retry hint for `error`'s reply: `configured_ms`, at least `STATE_RETRY_AFTER_MS` when the state is down."""
    if isinstance(error, StateUnavailable):
        return max(configured_ms, STATE_RETRY_AFTER_MS)
    return configured_ms


class MockState(Protocol):
    """Tasks, journal, failure rules, clock offset and reset epoch, for one mock.

    `shared` says whether every process using the same backend sees the same state
    (false for per-process memory: steering one gunicorn worker would not steer the rest).
    """

    shared: bool

    @property
    def epoch(self) -> int:
        """The reset epoch as last seen by this process (`begin` tells the current one)."""
        ...

    def refresh(self) -> tuple[int, float]:
        """The reset epoch and clock offset in force now."""
        ...

    def guess(self) -> Turn | None:
        """The state as last seen, with no failure rule, for answering before asking (shared
        state: one round trip instead of two); None where asking costs nothing."""
        ...

    def commit(
        self,
        guess: Turn,
        rules: RuleKey | None,
        clock_now: float,
        fields: JournalFields,
        created: Created | None = None,
    ) -> bool:
        """Journal a request answered on `guess`, if its epoch and clock offset still hold and
        no failure rule matches `rules` (endpoint, model, mode; None: the request used none),
        all at once, with the task it `created` (see `record`). False changes nothing: the
        caller answers again after `begin`."""
        ...

    def poll(
        self, guess: Turn, task: Task, now: float, clock_now: float, fields: JournalFields, path: str = ""
    ) -> bool:
        """Load `task`'s shared record, count one poll at `now` (`Task.poll`) and journal it, if
        `guess` still holds and no poll rule matches, all at once. False changes nothing."""
        ...

    def begin(
        self, endpoint: str, model: str | None, mode: str | None, epoch: int, task: Task | None = None, path: str = ""
    ) -> Turn:
        """Start one API request seen under `epoch`: use up the first matching failure rule
        and load `task`'s shared record into it. If the epoch has moved on, nothing is used
        up and the returned `Turn.epoch` differs: the caller starts again under it."""
        ...

    # -- tasks ---------------------------------------------------------------------------
    def add_task(self, task: Task) -> None:
        """Remember a task just created (a shared backend needs nothing: its id carries its facts)."""
        ...

    def local_task(self, task_id: str) -> Task | None:
        """The task object this process holds for `task_id`, if it keeps any."""
        ...

    def load_task(self, task: Task) -> None:
        """Apply the task's shared record (poll count, forced state) to `task`."""
        ...

    def change_task(self, task: Task, change: Callable[[Task], JobView]) -> JobView:
        """Apply `change` (a poll, a forced state) to `task` atomically; returns its result."""
        ...

    def newest_tasks(self, limit: int, derive: Callable[[str], Task | None]) -> tuple[list[Task], int]:
        """The `limit` newest tasks, oldest first, and how many are kept; `derive` builds a task
        from its id where the backend keeps records only."""
        ...

    # -- journal -------------------------------------------------------------------------
    def record(self, clock_now: float, fields: JournalFields, created: Created | None = None) -> None:
        """Journal one request at the engine clock's `clock_now` (plus the stored offset); a
        shared backend also stores the task it `created`: the next job plan, used up, and the
        prompt, in the task's record."""
        ...

    def journal(self) -> list[JournalEntry]:
        """Every journaled request, oldest first."""
        ...

    def clear_journal(self) -> None:
        """Forget the journal; numbering starts again at 1."""
        ...

    # -- failure rules -------------------------------------------------------------------
    def add_failure(self, rule: FailureRule) -> None:
        """Queue `rule` after those already queued."""
        ...

    def pending_failures(self) -> list[FailureRule]:
        """The rules not yet used up, in order."""
        ...

    def clear_failures(self) -> None:
        """Drop every queued rule."""
        ...

    # -- job plans (how the next created jobs end) ----------------------------------------
    def add_job_plan(self, plan: JobPlan) -> None:
        """Queue `plan` for the job created after those already planned (`ValueError` when full)."""
        ...

    def take_job_plan(self) -> JobPlan | None:
        """Use up the plan for the job being created, if one is queued; a shared backend answers
        None and uses it up in the create's `commit` or `record`, with the task's record."""
        ...

    def pending_job_plans(self) -> list[JobPlan]:
        """The plans not yet used, next first."""
        ...

    def clear_job_plans(self) -> None:
        """Drop every queued plan."""
        ...

    # -- the per-token concurrency cap ----------------------------------------------------
    def in_flight_ids(self, owner: str) -> list[str]:
        """The task ids and leases counted against `owner`'s cap, oldest first (some may be over since)."""
        ...

    def reserve_in_flight(self, owner: str, cap: int, lease: str, drop: list[str]) -> bool:
        """Atomically: stop counting `drop`, then hold a slot under `lease` (True, also if it holds one
        already) unless `owner` has `cap` counted (False)."""
        ...

    def settle_in_flight(self, owner: str, lease: str, task_id: str | None) -> None:
        """Replace `lease` by the task its create made, or free it (None: no task)."""
        ...

    def in_flight_owners(self, limit: int) -> list[str]:
        """The owners (token fingerprints, never tokens) with ids counted, the `limit` most recently
        reserving, oldest first (some may hold nothing since)."""
        ...

    # -- clock and reset ----------------------------------------------------------------
    def advance_clock(self, clock: Clock, seconds: float) -> None:
        """Move the mock's time forward by `seconds` for every request from now on."""
        ...

    def reset(self, clock: Clock) -> None:
        """Forget tasks, journal, failure rules and job plans, rewind the clock offset, start a new epoch."""
        ...


__all__ = [
    "STATE_RETRY_AFTER_MS",
    "Created",
    "JournalFields",
    "MockState",
    "StateUnavailable",
    "Turn",
    "retry_after_ms",
]
