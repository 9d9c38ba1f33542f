"""The per-token concurrency cap: new-api's `TokenConcurrencyGate` on the task routes.

new-api's gate (`middleware/token_concurrency.go`) answers 429
`token_concurrency_limit_reached` when a token holds its limit of leases. The mock counts a
token's tasks that have not reached a final state (`completed` or `failed`, however they got
there), so a test sees the 429 while a job runs and a create succeed once it is done. A
create holds a lease while it is answered, taken atomically (one script on Redis), so two
creates at once, on any workers, cannot both take the last slot. Tasks are counted from when
a cap is set: with none, nothing is tracked (no cost, no memory).
"""

from __future__ import annotations

import time

from mockserver.contract.errors import ApiError
from mockserver.contract.routes.steps import EngineSteps
from mockserver.contract.routes.tasks import TaskRoutes
from mockserver.contract.state.in_flight import LEASE_PREFIX

__all__ = ["ConcurrencyGate"]

# A lease older than this belongs to a create that never settled (its worker died): it is dropped.
_STALE_LEASE_MS = 60_000


class ConcurrencyGate:
    """Counts a token's unfinished tasks against the `token_concurrency` setting.

    The create route asks it: `reserve` before a create is answered, `settle` after.
    """

    def __init__(self, steps: EngineSteps, tasks: TaskRoutes) -> None:
        """A gate over `steps` (settings, state, clock) that finds counted tasks with `tasks`."""
        self.steps = steps
        self.tasks = tasks

    def reserve(self, owner: str, request_id: str) -> None:
        """Hold a slot for this create under its request id, or raise new-api's 429 (no cap: nothing)."""
        cap = self.steps.settings.token_concurrency
        if cap <= 0:
            return
        state, now, wall_ms = self.steps.state, self.steps.now(), int(time.time() * 1000)
        over = []
        for counted in state.in_flight_ids(owner):
            if counted.startswith(LEASE_PREFIX):
                started = counted.split(":")[1]
                if started.isdigit() and wall_ms - int(started) > _STALE_LEASE_MS:
                    over.append(counted)
                continue
            task = self.tasks.find_task(counted)
            if task is None or task.view(now).final:
                over.append(counted)  # finished, or gone with a reset: it no longer counts
        if not state.reserve_in_flight(owner, cap, _lease(request_id, wall_ms), over):
            raise ApiError("token_concurrency_limit_reached")

    def settle(self, headers: dict[str, str], request_id: str, task_id: str | None) -> None:
        """The create is answered: its lease becomes the task it made, or is freed."""
        if self.steps.settings.token_concurrency <= 0:
            return
        try:
            owner = self.steps.authenticate(headers)
        except ApiError:
            return  # refused before it could reserve
        state = self.steps.state
        for counted in state.in_flight_ids(owner):
            if counted.startswith(LEASE_PREFIX) and counted.endswith(":" + request_id):
                state.settle_in_flight(owner, counted, task_id)


def _lease(request_id: str, wall_ms: int) -> str:
    return f"{LEASE_PREFIX}{wall_ms}:{request_id}"
