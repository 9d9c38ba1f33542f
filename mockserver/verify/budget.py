"""The job budget: `--creates N` caps every job a run can cause, whichever check causes it.

A request costs nothing when no gateway can start a job for it (no key, a wrong key, a body
that is not JSON, a model no gateway knows). An invalid body naming a known model is
"risky": a gateway that does not enforce that rule starts a job, so it is sent only while a
unit is left, and costs one if accepted. Once a gateway has accepted one invalid body, the
other invalid bodies are skipped and what is left goes to the page's examples. A create that
gets no answer may still have started a job: it spends its unit too.
"""

from __future__ import annotations

from typing import Any, Literal

from mockserver.verify.results import JobCaused

__all__ = ["NEEDS_BUDGET", "Cost", "JobBudget", "task_id_of"]

#: What a check may cost: nothing, one job if a lenient gateway accepts it, or one job (a create).
Cost = Literal["free", "risky", "create"]

NEEDS_BUDGET = "needs --creates 1 or more: a gateway that does not enforce this rule would charge for it"


def task_id_of(body: Any) -> str | None:
    """The task id in a create answer of either dialect (`task_id`, `id`, or under `data`), if any."""
    for part in (body, body.get("data") if isinstance(body, dict) else None):
        if isinstance(part, dict):
            for name in ("task_id", "id"):
                value = part.get(name)
                if isinstance(value, str) and value:
                    return value[:200]
    return None


class JobBudget:
    """What is left of `--creates N`, the jobs caused so far, and whether the gateway proved lenient."""

    def __init__(self, creates: int) -> None:
        self.cap = creates
        self.jobs: list[JobCaused] = []
        #: The check whose invalid body the gateway accepted (None: none yet).
        self.lenient_on: str | None = None

    @property
    def left(self) -> int:
        return max(self.cap - len(self.jobs), 0)

    def spend(self, check: str, task_id: str | None) -> None:
        """Count a job `check` caused (or may have caused, with no id)."""
        self.jobs.append(JobCaused(check, task_id))

    def why_not(self, cost: Cost, *, invalid_body: bool = False) -> str | None:
        """Why a check of this cost (an invalid body or not) may not be sent now, or None when it may."""
        if invalid_body and self.lenient_on is not None:
            return (
                f"the gateway accepted an invalid body ({self.lenient_on}): it may charge for this one too; "
                "the budget left goes to the page examples"
            )
        if cost == "free" or self.left > 0:
            return None
        if self.cap == 0:
            return NEEDS_BUDGET if cost == "risky" else "--creates 0: nothing created"
        spent = ", ".join(j.check for j in self.jobs)
        return f"the budget (--creates {self.cap}) is spent ({spent})"
