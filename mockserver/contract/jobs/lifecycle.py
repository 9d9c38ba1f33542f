"""The job lifecycle as a pure state machine over a clock (time mode) or a poll count (step mode).

`queued` -> `in_progress` -> `completed` | `failed`, never backwards; progress never
decreases and is 100 exactly when completed. A task may be pinned to a state (forward
only), which is how tests and the admin API force outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mockserver.contract.data.catalogue import LIFECYCLE_DEFAULTS, Mode, Status

# "timeout": new-api's sweep ends it failed (service/task_polling.go); appended: ids encode the index.
Outcome = Literal["succeed", "fail", "stall", "timeout"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
LifecycleMode = Literal["time", "step"]

_RANK: dict[Status, int] = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
FAILURE_CODE = str(LIFECYCLE_DEFAULTS["failure_code"])
FAILURE_MESSAGE = str(LIFECYCLE_DEFAULTS["failure_message"])
_STEP_PROGRESS = 50
DEFAULT_STEPS = 2  # step lifecycle: polls until a job shows its final state
MAX_STEPS = 100


class TransitionError(ValueError):
    """A forced transition that would move a task backwards or out of a final state."""


def final_view(outcome: Outcome, now: float) -> JobView:
    """The state a step-lifecycle job with `outcome` shows from the poll that ends it at `now` on."""
    if outcome in ("fail", "timeout"):
        return JobView("failed", _STEP_PROGRESS, int(now))
    return JobView("completed", 100, int(now))


@dataclass(frozen=True, slots=True)
class JobView:
    """What a poll shows at one moment: status, progress and, once final (completed or failed), when it ended."""

    status: Status
    progress: int
    completed_at: int | None = None

    @property
    def final(self) -> bool:
        """Whether the task has reached `completed` or `failed`."""
        return self.status in ("completed", "failed")


@dataclass(slots=True)
class Task:
    """One job: what was asked, when, how it will end, and how far it has been observed."""

    id: str
    owner: str
    model: str
    mode: Mode
    created_at: float
    outcome: Outcome
    queued_seconds: float
    running_seconds: float
    lifecycle: LifecycleMode = "time"
    polls: int = 0
    pinned: JobView | None = None
    steps: int = DEFAULT_STEPS
    revision: int = 0  # changes of `polls`/`pinned` so far, for compare-and-set in a shared state
    # The request's prompt, shown by polls; None when absent, or when this task was derived
    # from its signed id by a worker that never saw the create (ids do not carry prompts).
    prompt: str | None = None
    # Why a failed task failed, when something gave a reason (a job plan's, Vidu's cancel or
    # off-peak expiry); None: the dialect's default failure code.
    reason: str | None = None

    def view(self, now: float) -> JobView:
        """The state at time `now`, without counting a poll."""
        if self.pinned is not None:
            return self.pinned
        if self.lifecycle == "step":
            return self._step_view(now)
        return self._time_view(now)

    def poll(self, now: float) -> JobView:
        """Count one poll (step mode: the `steps`-th shows the final state, those before `in_progress`)."""
        if self.pinned is None and self.lifecycle == "step":
            current = self._step_view(now)
            if not current.final and not (self.outcome == "stall" and current.status == "in_progress"):
                self.polls += 1
                if self.polls >= self.steps and self.outcome != "stall":
                    # Remember the moment it ended so completed_at never changes afterwards.
                    self.pinned = self._final_view(now)
        return self.view(now)

    def pin(self, status: Status, now: float) -> JobView:
        """Force the task into `status` from now on; raises `TransitionError` if that is backwards."""
        current = self.view(now)
        if current.final and status != current.status:
            raise TransitionError(f"task {self.id} is already {current.status}")
        if _RANK[status] < _RANK[current.status]:
            raise TransitionError(f"task {self.id} is {current.status}; it cannot go back to {status}")
        if status == current.status and not current.final and status != "in_progress":
            self.pinned = current
        elif status == "queued":
            self.pinned = JobView("queued", 0)
        elif status == "in_progress":
            self.pinned = JobView("in_progress", max(current.progress, 1))
        elif status == "completed":
            self.pinned = current if current.status == "completed" else JobView("completed", 100, int(now))
        else:
            self.pinned = current if current.status == "failed" else JobView("failed", current.progress, int(now))
        return self.pinned

    def advance(self, now: float) -> JobView:
        """Move exactly one state forward (to the outcome's final state after `in_progress`)."""
        current = self.view(now)
        if current.final:
            raise TransitionError(f"task {self.id} is already {current.status}")
        if current.status == "queued":
            return self.pin("in_progress", now)
        return self.pin("failed" if self.outcome in ("fail", "timeout") else "completed", now)

    def _final_view(self, now: float) -> JobView:
        return final_view(self.outcome, now)

    def _step_view(self, now: float) -> JobView:
        if self.polls == 0:
            return JobView("queued", 0)
        if self.outcome == "stall":
            return JobView("in_progress", _STEP_PROGRESS)
        if self.polls < self.steps:
            return JobView("in_progress", max(1, 100 * self.polls // self.steps))
        return self._final_view(now)

    def _time_view(self, now: float) -> JobView:
        elapsed = now - self.created_at
        if elapsed < self.queued_seconds:
            return JobView("queued", 0)
        running = elapsed - self.queued_seconds
        if running < self.running_seconds or self.outcome == "stall":
            fraction = min(running / self.running_seconds, 1.0) if self.running_seconds > 0 else 1.0
            return JobView("in_progress", 1 + int(98 * fraction))
        ended = int(self.created_at + self.queued_seconds + self.running_seconds)
        if self.outcome in ("fail", "timeout"):
            return JobView("failed", 99, ended)
        return JobView("completed", 100, ended)
