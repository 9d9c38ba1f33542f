"""A time-lifecycle job polled again and again on a clock that only the test moves: an error, not a hang.

Under `lifecycle="time"` a job advances with the clock. The fixtures' default clock is a
`ManualClock`, which stands still until the test calls `advance_clock`; a client polling
until the job is done (the OpenAI SDK's `create_and_poll`) would then poll forever. After
`STUCK_POLLS` polls of one unfinished job at the same moment, the poll is refused instead,
with a message naming the two ways out.
"""

from __future__ import annotations

import threading

from mockserver.contract.errors import ApiError
from mockserver.contract.jobs.clock import Clock, ManualClock
from mockserver.contract.jobs.lifecycle import JobView, Task

__all__ = ["STUCK_POLLS", "StuckClockWatch"]

#: Polls of one unfinished job at one unmoving moment before the next is refused.
STUCK_POLLS = 30
_WATCHED = 1024  # tasks remembered at once; the oldest are forgotten first


class StuckClockWatch:
    """Counts each time-lifecycle job's polls while a manual clock stands still."""

    def __init__(self) -> None:
        self._polls: dict[str, tuple[int, float, int]] = {}  # task id -> (clock id, moment, polls)
        self._lock = threading.Lock()

    def check(self, clock: Clock, task: Task, view: JobView, now: float) -> None:
        """Raise `ApiError("clock_stands_still")` once `task` has been polled `STUCK_POLLS` times at `now`."""
        if not isinstance(clock, ManualClock) or task.lifecycle != "time" or view.final:
            return
        if task.outcome == "stall" or task.pinned is not None:
            return  # a job the test chose to hold: polling it without end is what the test asked for
        key = (id(clock), now)
        with self._lock:
            seen = self._polls.pop(task.id, None)
            polls = seen[2] + 1 if seen is not None and seen[:2] == key else 1
            self._polls[task.id] = (*key, polls)
            if len(self._polls) > _WATCHED:
                del self._polls[next(iter(self._polls))]
        if polls > STUCK_POLLS:
            raise ApiError(
                "clock_stands_still",
                f"Task {task.id} follows the time lifecycle, but the mock's clock has not moved in "
                f"{STUCK_POLLS} polls, so it stays {view.status} for good. Move the clock in the test "
                "(video_api.advance_clock(seconds), or POST /__mock/clock), or run on wall time with "
                '@pytest.mark.video_api(clock="system").',
                "task_id",
            )
