"""Queued job plans: how the next created jobs end, in creation order."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, get_args

from mockserver.contract.data.catalogue import ENDING_REASONS
from mockserver.contract.jobs.lifecycle import DEFAULT_STEPS, MAX_STEPS, Outcome

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass(frozen=True, slots=True)
class JobPlan:
    """The next created job ends with `outcome`; under the step lifecycle, after `polls` polls.

    `polls` counts the poll that shows the final state (1: the first poll already does);
    a stalled job stays `in_progress` from its first poll on whatever `polls` says.
    """

    outcome: Outcome = "succeed"
    polls: int = DEFAULT_STEPS
    reason: str | None = None  # a failed job's error code, e.g. Vidu's `AuditSubmitIllegal` (shown as err_code)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if not isinstance(self.polls, int) or isinstance(self.polls, bool) or not 1 <= self.polls <= MAX_STEPS:
            raise ValueError(f"polls must be an integer from 1 to {MAX_STEPS}")
        if self.reason is not None and (self.outcome != "fail" or self.reason not in ENDING_REASONS):
            raise ValueError(f"reason needs outcome fail and one of {', '.join(ENDING_REASONS)}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description of the plan."""
        plan: dict[str, Any] = {"outcome": self.outcome, "polls": self.polls}
        if self.reason is not None:
            plan["reason"] = self.reason
        return plan


class JobPlanQueue:
    """Plans in the order queued; each created job uses up the first one."""

    def __init__(self, cap: int = 1000) -> None:
        self._plans: deque[JobPlan] = deque()
        self._cap = cap
        self._lock = threading.Lock()

    def add(self, plan: JobPlan) -> None:
        """Queue `plan` for the job created after those already planned."""
        with self._lock:
            if len(self._plans) >= self._cap:
                raise ValueError(f"at most {self._cap} job plans may be queued")
            self._plans.append(plan)

    def take(self) -> JobPlan | None:
        """The plan for the job being created, if one is queued."""
        if not self._plans:
            return None  # the usual case, without the lock
        with self._lock:
            return self._plans.popleft() if self._plans else None

    def pending(self) -> list[JobPlan]:
        """The plans still queued, next first."""
        with self._lock:
            return list(self._plans)

    def clear(self) -> None:
        """Drop every queued plan."""
        with self._lock:
            self._plans.clear()
