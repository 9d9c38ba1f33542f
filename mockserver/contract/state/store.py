"""The bounded task store: at most `cap` tasks, the oldest created evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import islice

from mockserver.contract.jobs.lifecycle import Task


class TaskStore:
    """Thread-safe map of task id to `Task`, capped; eviction is FIFO by creation."""

    def __init__(self, cap: int) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._cap = cap
        self._lock = threading.Lock()
        self.evicted = 0

    def add(self, task: Task) -> None:
        """Store `task`, evicting the oldest tasks beyond the cap."""
        with self._lock:
            self._tasks[task.id] = task
            while len(self._tasks) > self._cap:
                self._tasks.popitem(last=False)
                self.evicted += 1

    def get(self, task_id: str) -> Task | None:
        """The task with this id, or None."""
        return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        """Every stored task, oldest first."""
        with self._lock:
            return list(self._tasks.values())

    def newest(self, count: int) -> list[Task]:
        """The `count` most recently stored tasks, oldest first (a page shows these, not all 100 000)."""
        with self._lock:
            newest = list(islice(reversed(self._tasks.values()), max(count, 0)))
        newest.reverse()
        return newest

    def __len__(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        """Forget every task."""
        with self._lock:
            self._tasks.clear()
