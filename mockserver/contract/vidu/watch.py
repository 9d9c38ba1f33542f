"""Where a Vidu task's state change is observable: each answer that shows a task reports its state here.

Listeners (the callbacks of issue 37, a test) are called once per change a process sees, in
the order seen, with the task's id and its new Vidu state; the first state seen of a task is
a change from `created`. Nothing here does I/O: a listener that delivers must not block the
answer (hand the change to a thread of its own).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["StateChange", "StateWatch"]


@dataclass(frozen=True, slots=True)
class StateChange:
    """Task `task_id` went from `before` to `after` (Vidu's state names)."""

    task_id: str
    before: str
    after: str


Listener = Callable[[StateChange], None]


class StateWatch:
    """The last state seen of each task (bounded), and the listeners told of each change."""

    def __init__(self, cap: int) -> None:
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._cap = max(cap, 1)
        self._lock = threading.Lock()
        self.listeners: list[Listener] = []

    def seen(self, task_id: str, state: str) -> StateChange | None:
        """Report that `task_id` shows `state`; tell the listeners and return the change if it is one."""
        with self._lock:
            before = self._seen.get(task_id, "created")
            self._seen[task_id] = state
            self._seen.move_to_end(task_id)
            while len(self._seen) > self._cap:
                self._seen.popitem(last=False)
        if before == state:
            return None
        change = StateChange(task_id, before, state)
        for listener in list(self.listeners):
            listener(change)
        return change

    def clear(self) -> None:
        """Forget every state seen (a reset)."""
        with self._lock:
            self._seen.clear()
