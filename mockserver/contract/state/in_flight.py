"""Which tasks each bearer token may still have in flight, for the per-token concurrency cap.

A token's list holds the ids of the tasks it created since they were last seen final, and
a lease for each create being answered (so two creates at once cannot both take the last
slot). The engine tells which ids are over (a task's state is a matter of its clock or poll
count) and drops them when it reserves. Bounded: at most `MAX_TRACKED` ids per token and
`MAX_TOKENS` tokens, oldest dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["LEASE_PREFIX", "MAX_TOKENS", "MAX_TRACKED", "InFlight"]

#: The most ids kept per token: the highest cap the setting allows.
MAX_TRACKED = 1_000
MAX_TOKENS = 10_000
#: A lease is `lease:<unix ms>:<request id>`; task ids never start so.
LEASE_PREFIX = "lease:"


class InFlight:
    """Per-token task ids and leases, in memory, under one lock."""

    def __init__(self) -> None:
        self._ids: OrderedDict[str, dict[str, None]] = OrderedDict()
        self._lock = threading.Lock()

    def ids(self, owner: str) -> list[str]:
        """`owner`'s counted ids and leases, oldest first."""
        with self._lock:
            return list(self._ids.get(owner, ()))

    def owners(self, limit: int) -> list[str]:
        """The `limit` owners that reserved last, oldest first."""
        with self._lock:
            return list(self._ids)[-limit:] if limit > 0 else []

    def reserve(self, owner: str, cap: int, lease: str, drop: list[str]) -> bool:
        """Stop counting `drop`, then hold a slot under `lease` unless `owner` is at `cap`."""
        with self._lock:
            ids = self._ids.setdefault(owner, {})
            self._ids.move_to_end(owner)
            for task_id in drop:
                ids.pop(task_id, None)
            if lease in ids:
                return True
            if len(ids) >= cap:
                return False
            ids[lease] = None
            while len(ids) > MAX_TRACKED:
                del ids[next(iter(ids))]
            while len(self._ids) > MAX_TOKENS:
                self._ids.popitem(last=False)
            return True

    def settle(self, owner: str, lease: str, task_id: str | None) -> None:
        """Replace `lease` by `task_id`, or free it."""
        with self._lock:
            ids = self._ids.get(owner)
            if ids is None:
                return
            ids.pop(lease, None)
            if task_id is not None:
                ids[task_id] = None
            elif not ids:
                del self._ids[owner]

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()
