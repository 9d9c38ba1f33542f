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

__all__ = ["MAX_HOLDERS_SHOWN", "ConcurrencyGate"]

# A lease older than this belongs to a create that never settled (its worker died): it is dropped.
_STALE_LEASE_MS = 60_000
#: The most tokens `holders` reports (the admin API, the dashboard): those that created last.
MAX_HOLDERS_SHOWN = 200


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
        wall_ms = int(time.time() * 1000)
        _, over = self._counted(owner, wall_ms)
        if not self.steps.state.reserve_in_flight(owner, cap, _lease(request_id, wall_ms), over):
            raise ApiError("token_concurrency_limit_reached")

    def holders(self, limit: int = MAX_HOLDERS_SHOWN) -> list[tuple[str, int]]:
        """The token fingerprints holding slots now, with how many each holds (no cap: none).

        Only reads: nothing is dropped, journaled or used up (the dashboard shows it).
        """
        if self.steps.settings.token_concurrency <= 0:
            return []
        wall_ms = int(time.time() * 1000)
        held = [(owner, len(self._counted(owner, wall_ms)[0])) for owner in self.steps.state.in_flight_owners(limit)]
        return sorted((owner, slots) for owner, slots in held if slots)

    def _counted(self, owner: str, wall_ms: int) -> tuple[list[str], list[str]]:
        """`owner`'s ids that hold a slot (unfinished tasks, live leases), and those that no longer do."""
        now = self.steps.now()
        holding: list[str] = []
        over: list[str] = []
        for counted in self.steps.state.in_flight_ids(owner):
            if counted.startswith(LEASE_PREFIX):
                started = counted.split(":")[1]
                stale = started.isdigit() and wall_ms - int(started) > _STALE_LEASE_MS
                (over if stale else holding).append(counted)
                continue
            task = self.tasks.find_task(counted)
            # Finished, or gone with a reset: it no longer counts.
            (over if task is None or task.view(now).final else holding).append(counted)
        return holding, over

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
