"""`IdleSpin`: after an answer, the event loop keeps polling for a moment before it sleeps.

A client that sends its next request right after reading an answer (a test suite's
create-then-poll, wrk with one connection) finds the server asleep otherwise: the kernel
parks the idle thread, and on a virtual machine the idle vCPU halts, so every request
pays a wake-up on a cold core (about 90 µs here, measured with `bench/probe_placement.py`;
`bench/probe_idle_spin.py` measures what the spin buys and costs).

The spin is bounded and adaptive, so a client that pauses costs little: after
`MISSES_TO_REST` spins in a row that no request ended, the next `REST_ANSWERS` answers
do not spin. Only a server that owns its process spins (`LiveServer.serve()`, the
`mockserver` command): on a thread in a test process it would take the GIL from the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["MISSES_TO_REST", "REST_ANSWERS", "IdleSpin"]

#: Spins in a row that ended with no request before the spin rests.
MISSES_TO_REST = 4
#: Answers after which a resting spin tries again.
REST_ANSWERS = 64


class IdleSpin:
    """Keeps `loop` polling (timeout 0) for `seconds` after each `arm()`; see the module docstring."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, seconds: float, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self._loop = loop
        self.seconds = seconds
        # Not loop.time(): uvloop's counts whole milliseconds.
        self._clock = clock
        self._until = 0.0
        self._active = False
        self._misses = 0
        self._rest = 0
        self.hits = 0  # spins a request ended (read by the tests and benches)
        self.spins = 0  # spins started

    @property
    def active(self) -> bool:
        """Whether the loop is spinning now."""
        return self._active

    def arm(self) -> None:
        """A connection has answered and has nothing left to read: poll a while before sleeping."""
        if self._active:  # a request arrived and was answered while the loop spun
            self.hits += 1
            self._misses = 0
            self._until = self._clock() + self.seconds
            return
        if self._rest:
            self._rest -= 1
            return
        self.spins += 1
        self._active = True
        self._until = self._clock() + self.seconds
        # A pending callback makes the loop poll with a zero timeout instead of sleeping.
        self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        if self._clock() < self._until:
            self._loop.call_soon(self._tick)
            return
        self._active = False
        self._misses += 1
        if self._misses >= MISSES_TO_REST:
            self._misses = 0
            self._rest = REST_ANSWERS
