"""Which tasks each bearer token may still have in flight, for the per-token concurrency cap.

A token's list holds the ids of the tasks it created since they were last seen final; the
engine prunes the ones that have reached a final state when it counts (a task's state is
a matter of its clock or poll count, so only the engine can tell). Bounded: at most
`MAX_TRACKED` ids per token and `MAX_TOKENS` tokens, oldest dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["MAX_TOKENS", "MAX_TRACKED", "InFlight"]

#: The most ids kept per token: the highest cap the setting allows, so a full list is a refusal.
MAX_TRACKED = 1_000
MAX_TOKENS = 10_000


class InFlight:
    """Per-token task ids, in memory, under one lock."""

    def __init__(self) -> None:
        self._ids: OrderedDict[str, dict[str, None]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, owner: str, task_id: str) -> None:
        """Count `task_id` as `owner`'s until it is dropped."""
        with self._lock:
            ids = self._ids.setdefault(owner, {})
            self._ids.move_to_end(owner)
            ids[task_id] = None
            while len(ids) > MAX_TRACKED:
                del ids[next(iter(ids))]
            while len(self._ids) > MAX_TOKENS:
                self._ids.popitem(last=False)

    def ids(self, owner: str) -> list[str]:
        """`owner`'s tracked ids, oldest first."""
        with self._lock:
            return list(self._ids.get(owner, ()))

    def drop(self, owner: str, task_ids: list[str]) -> None:
        """Stop counting `task_ids` (they reached a final state, or no longer resolve)."""
        with self._lock:
            ids = self._ids.get(owner)
            if ids is None:
                return
            for task_id in task_ids:
                ids.pop(task_id, None)
            if not ids:
                del self._ids[owner]

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()
