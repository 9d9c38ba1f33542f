"""How busy the machine was during a bench, apart from the bench itself (Linux /proc).

A bench that keeps wrk, a JVM and a server busy for two minutes raises the 1-minute load
average past 2 on a 2-core machine by itself, so the load average taken after it cannot
tell a quiet machine from a busy one. This measures what it cannot: the CPU time every
process used (from `/proc/stat`) minus what the bench and the processes it waited for
used (`getrusage`), and the time the hypervisor gave our vCPUs to someone else (steal).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MachineUse", "Others"]


@dataclass(frozen=True)
class Others:
    """CPU used outside the bench over a span, in cores (1.0 = one CPU busy the whole time)."""

    cores: float  # other processes on this machine
    steal: float  # other guests on the host, taking our vCPUs

    def describe(self) -> str:
        return f"other processes used {self.cores:.2f} cores, steal {self.steal:.2f} cores"


@dataclass(frozen=True)
class MachineUse:
    """One reading; `MachineUse.now()` at the start and end of a bench, then `others_since`."""

    wall: float
    busy: float  # CPU seconds every process used (user, nice, system, irq, softirq)
    steal: float
    ours: float  # CPU seconds of this process and of the children it has waited for

    @classmethod
    def now(cls) -> MachineUse:
        ticks = os.sysconf("SC_CLK_TCK")
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
        mine = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime
        busy = (user + nice + system + irq + softirq) / ticks
        return cls(time.monotonic(), busy, steal / ticks, ours)

    def others_since(self, start: MachineUse) -> Others:
        """What ran besides the bench between `start` and this reading (children must have been waited for)."""
        wall = max(self.wall - start.wall, 1e-9)
        others = (self.busy - start.busy) - (self.ours - start.ours)
        return Others(max(others, 0.0) / wall, (self.steal - start.steal) / wall)
