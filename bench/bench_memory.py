"""Memory of the task store: 100,000 tasks created through the engine, measured two ways.

Tasks are created the way a server creates them (`ContractEngine.handle` on create
requests with realistic bodies, a unique prompt each), so every per-task object is
counted: the `Task` (slots, no `__dict__`), its signed id, and the store's entry. The
journal is filled to its cap (1,000) first, so its steady size is not counted as tasks.

- traced: Python heap growth (tracemalloc) after a full collection, in a fresh engine;
- RSS: the process's resident set growth over the same number of creates, without tracemalloc.

    python bench/bench_memory.py            # 100,000 tasks
    python bench/bench_memory.py --quick    # 2,000 tasks, scaled to 100,000 (smoke test)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from mockserver.contract.jobs.lifecycle import Task
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.settings import Settings

TARGET_MB = 100.0
FULL = 100_000
HEADERS = {"Authorization": "Bearer sk-memory", "Content-Type": "application/json"}
MODELS = ("viduq3p-720p", "viduq3t-1080p", "viduq3p-540p-offpeak", "viduq3t-720p")


def create(engine: ContractEngine, number: int) -> None:
    """One create request, as the Flask face would hand it to the engine."""
    body = {"model": MODELS[number % len(MODELS)], "prompt": f"a red fox in fresh snow, take {number}", "duration": 5}
    reply = engine.handle(Incoming("POST", "/v1/video/generations", HEADERS, json.dumps(body).encode()))
    if reply.status != 200:
        raise SystemExit(f"create {number} answered {reply.status}: {reply.body[:200]!r}")


def ready_engine() -> ContractEngine:
    """An engine whose journal is already at its cap and whose store is empty."""
    engine = ContractEngine(Settings(max_tasks=FULL))
    for number in range(engine.settings.max_journal + 10):
        create(engine, -1 - number)
    engine.store.clear()
    gc.collect()
    return engine


def rss_bytes() -> int:
    """The resident set size now (Linux /proc), or the peak so far elsewhere."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 tasks, scaled to 100,000 (smoke test)")
    parser.add_argument("--tasks", type=int, default=FULL)
    args = parser.parse_args(argv)
    tasks = 2_000 if args.quick else args.tasks
    if not 0 < tasks <= FULL:
        parser.error(f"--tasks must be 1 to {FULL} (the store's cap)")
    scale = FULL / tasks

    engine = ready_engine()
    before = rss_bytes()
    began = time.perf_counter()
    for number in range(tasks):
        create(engine, number)
    seconds = time.perf_counter() - began
    gc.collect()
    rss = rss_bytes() - before
    stored = len(engine.store)

    engine = ready_engine()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    for number in range(tasks):
        create(engine, number)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()

    task = engine.store.all()[0]
    print(f"Task store memory: {tasks:,} tasks created through ContractEngine.handle ({seconds:.1f} s, no tracemalloc)")
    print(f"{'measure':<10} {'MB':>8} {'bytes/task':>11} {'MB per 100,000':>15}")
    for label, size in (("traced", traced), ("RSS", rss)):
        print(f"{label:<10} {size / 1e6:>8.1f} {size / tasks:>11.0f} {size * scale / 1e6:>15.1f}")
    print(f"stored: {stored:,} tasks; Task uses slots: {not hasattr(task, '__dict__') and isinstance(task, Task)}")
    worst = max(traced, rss) * scale / 1e6
    verdict = "meets" if worst < TARGET_MB else "MISSES"
    print(f"100,000 tasks in {worst:.1f} MB (the larger measure)  target < {TARGET_MB:.0f} MB: {verdict}")
    return 0 if stored == tasks else 1


if __name__ == "__main__":
    sys.exit(main())
