"""Injectable clocks, so job timing is controlled by tests instead of slept through."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything with `now()` returning Unix seconds as a float."""

    def now(self) -> float:
        """Current time in Unix seconds."""
        ...


class SystemClock:
    """The wall clock, plus an offset that `advance()` moves forward (never back)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Wall-clock Unix seconds plus the accumulated offset."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move this clock forward by `seconds` (must not be negative)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Drop the accumulated offset."""
        with self._lock:
            self._offset = 0.0


class ManualClock:
    """A clock that stands still until told to move: fully deterministic tests."""

    def __init__(self, start: float = 1_774_507_626.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current manual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move forward by `seconds` (must not be negative)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += seconds

    def reset(self) -> None:
        """Keep the current time (a manual clock never goes back, so tasks stay monotonic)."""
