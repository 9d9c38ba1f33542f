"""A bounded load-and-soak run of the mock on loopback; stops by itself.

    python bench/soak.py --seconds 30 --clients 32

Starts its own server (an in-process `LiveServer`) unless `--url` names a running one on
loopback. Each client creates a task and at once polls it to completion (so a task that
is evicted or forgotten before it completes is counted as lost), downloading every Nth
video. `--error-rate` makes that fraction of requests ask for an injected 429/500/503 with
`Prefer: code=`, so the client knows exactly which errors were injected and retries them.
Memory is the server process's RSS, sampled over time; small `--max-tasks`/`--max-journal`
caps are reached early, after which RSS should stay flat. Exits 1 on any non-injected
error or lost task (or RSS growth over `--max-rss-growth-mb`), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from soak_client import Client, Plan, Tally
from soak_servers import Sample, Target, child_server, in_process_server, running_server, sample_memory

from mockserver.contract.loopback import is_loopback


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; `--help` explains every flag."""
    parser = argparse.ArgumentParser(prog="soak.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long clients start new tasks (default 30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--url", help="a running mock on loopback, e.g. http://127.0.0.1:8000 (default: start one)")
    parser.add_argument("--server", choices=("in-process", "child"), default="in-process", help="where to start it")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, to sample its RSS")
    parser.add_argument("--lifecycle", choices=("step", "time"), default="step", help="own server's lifecycle")
    parser.add_argument("--queued-seconds", type=float, default=0.05, help="own server, time lifecycle")
    parser.add_argument("--running-seconds", type=float, default=0.1, help="own server, time lifecycle")
    parser.add_argument("--max-tasks", type=int, default=2000, help="own server's task cap (default 2000)")
    parser.add_argument("--max-journal", type=int, default=1000, help="own server's journal cap (default 1000)")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="fraction of requests asking for an injected error"
    )
    parser.add_argument("--poll-interval", type=float, default=0.02, help="seconds between polls (time lifecycle)")
    parser.add_argument("--task-timeout", type=float, default=30.0, help="a task not completed by then is lost")
    parser.add_argument("--video-every", type=int, default=20, help="download every Nth completed video (0: never)")
    parser.add_argument("--sample-every", type=float, default=1.0, help="seconds between RSS samples")
    parser.add_argument("--max-rss-growth-mb", type=float, help="fail if RSS grows more than this after the caps")
    parser.add_argument("--no-validate", action="store_true", help="skip JSON Schema checks of each job (faster)")
    parser.add_argument("--seed", type=int, default=1, help="seed for bodies and injection")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or not 0 <= args.error_rate <= 1:
        parser.error("need --seconds > 0, --clients >= 1 and 0 <= --error-rate <= 1")
    if args.url:
        host = urlsplit(args.url).hostname or ""
        if not is_loopback(host):
            parser.error(f"--url must be on loopback (127.0.0.0/8, ::1 or localhost), not {host!r}")
    return args


def start_target(args: argparse.Namespace) -> Target:
    """The server to load: the one at --url, or a new one in this or a child process."""
    if args.url:
        return running_server(args.url, args.server_pid)
    settings = {
        "lifecycle": args.lifecycle,
        "queued_seconds": args.queued_seconds,
        "running_seconds": args.running_seconds,
        "max_tasks": args.max_tasks,
        "max_journal": args.max_journal,
    }
    return child_server(settings) if args.server == "child" else in_process_server(settings)


def run(args: argparse.Namespace, command: str = "") -> dict[str, Any]:
    """Run the soak and return the report."""
    target = start_target(args)
    clients: list[Client] = []

    def sizes() -> tuple[int | None, int | None]:
        if target.sizes is not None:
            return target.sizes()
        # Every create stores a task and every request a journal entry, so the client
        # counts say when the caps are full on a server that does not tell.
        created = sum(c.tally.created for c in clients)
        requests = sum(c.tally.requests.total() for c in clients)
        return (
            None if target.max_tasks is None else min(created, target.max_tasks),
            None if target.max_journal is None else min(requests, target.max_journal),
        )

    started = time.monotonic()
    plan = Plan(
        target.host,
        target.port,
        started + args.seconds,
        args.error_rate,
        0.0 if target.lifecycle == "step" else args.poll_interval,
        args.task_timeout,
        args.video_every,
        not args.no_validate,
        args.seed,
    )
    clients.extend(Client(n, plan) for n in range(args.clients))
    samples: list[Sample] = []
    stop = threading.Event()
    sampler = threading.Thread(
        target=sample_memory, args=(target.pid, sizes, args.sample_every, stop, samples, started), daemon=True
    )
    tallies: list[Tally] = []
    workers = [threading.Thread(target=lambda c=c: tallies.append(c.run()), daemon=True) for c in clients]
    try:
        sampler.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
    finally:
        target.stop()
    return report(args, command, target, tallies, samples, elapsed)


def report(
    args: argparse.Namespace, command: str, target: Target, tallies: list[Tally], samples: list[Sample], elapsed: float
) -> dict[str, Any]:
    """Merge the clients' tallies and the memory samples into the report."""
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    errors_by_kind = dict(total.errors)
    if target.server_errors():
        errors_by_kind["server logged an exception"] = target.server_errors()
    if len(tallies) < args.clients:
        errors_by_kind["client thread crashed"] = args.clients - len(tallies)
    errors, lost = sum(errors_by_kind.values()), sum(total.lost.values())
    memory = memory_summary(samples, target.max_tasks, target.max_journal)
    growth = memory.get("growth_after_caps_mb")
    too_much = args.max_rss_growth_mb is not None and (growth is None or growth > args.max_rss_growth_mb)
    requests = total.requests.total()
    return {
        "command": command,
        "server": target.description,
        "lifecycle": target.lifecycle,
        "max_tasks": target.max_tasks,
        "max_journal": target.max_journal,
        "clients": args.clients,
        "error_rate": args.error_rate,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "requests_by_kind": dict(total.requests),
        "throughput_per_s": round(requests / elapsed, 1),
        "latency_ms": {
            name: round(value * 1000, 2)
            for name, value in (
                ("p50", total.latency.percentile(0.5)),
                ("p90", total.latency.percentile(0.9)),
                ("p99", total.latency.percentile(0.99)),
                ("max", total.latency.max),
            )
        },
        "tasks_created": total.created,
        "tasks_completed": total.completed,
        "tasks_lost": lost,
        "lost_by_reason": dict(total.lost),
        "videos_downloaded": total.videos,
        "errors": errors,
        "errors_by_kind": errors_by_kind,
        "injected": total.injected.total(),
        "injected_by_kind": dict(total.injected),
        "memory": memory,
        "rss_samples_mb": [[round(s.at, 1), _mb(s.rss)] for s in samples if s.rss is not None],
        "passed": errors == 0 and lost == 0 and not too_much,
    }


def memory_summary(samples: list[Sample], max_tasks: int | None, max_journal: int | None) -> dict[str, Any]:
    """RSS at the start, when the caps were reached and at the end, and the growth after the caps."""
    rss = [s for s in samples if s.rss is not None]
    if not rss:
        return {"measured": False}

    def capped(s: Sample) -> bool:
        tasks_full = max_tasks is not None and s.tasks is not None and s.tasks >= max_tasks
        journal_full = max_journal is None or s.journal is None or s.journal >= max_journal
        return tasks_full and journal_full

    after = [s for s in rss if capped(s)]
    summary: dict[str, Any] = {
        "measured": True,
        "samples": len(rss),
        "start_mb": _mb(rss[0].rss),
        "end_mb": _mb(rss[-1].rss),
        "peak_mb": _mb(max(s.rss or 0 for s in rss)),
        "caps_reached_at_s": round(after[0].at, 1) if after else None,
    }
    if len(after) >= 2:
        values = [s.rss or 0 for s in after]
        window = after[-1].at - after[0].at
        summary.update(
            at_caps_mb=_mb(values[0]),
            window_after_caps_s=round(window, 1),
            growth_after_caps_mb=_mb(values[-1] - values[0]),
            range_after_caps_mb=_mb(max(values) - min(values)),
            # A trend needs a span of samples; over a few seconds it is only noise.
            slope_after_caps_mb_per_min=(
                round(_slope([s.at for s in after], values) * 60 / 2**20, 2) if window >= 10 else None
            ),
        )
    return summary


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / 2**20, 1)


def _slope(xs: list[float], ys: list[int]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


def render(report: dict[str, Any]) -> str:
    """The report as readable text."""
    latency = report["latency_ms"]
    kinds = "  ".join(f"{kind} {count:,}" for kind, count in sorted(report["requests_by_kind"].items()))
    lines = [
        f"vidu-mock soak: {report['seconds']} s, {report['clients']} clients, lifecycle={report['lifecycle']}, "
        f"{report['server']} (max_tasks={report['max_tasks']}, max_journal={report['max_journal']})",
        f"requests     {report['requests']:,} ({report['throughput_per_s']:,}/s)   {kinds}",
        f"latency ms   p50 {latency['p50']}  p90 {latency['p90']}  p99 {latency['p99']}  max {latency['max']}",
        f"tasks        created {report['tasks_created']:,}  completed {report['tasks_completed']:,}  "
        f"lost {report['tasks_lost']}  videos {report['videos_downloaded']:,}",
        f"errors       non-injected {report['errors']}  injected {report['injected']:,}"
        + (
            f" ({', '.join(f'{k}: {v:,}' for k, v in sorted(report['injected_by_kind'].items()))})"
            if report["injected"]
            else ""
        ),
    ]
    lines += [f"  error      {kind}: {count}" for kind, count in sorted(report["errors_by_kind"].items())]
    lines += [f"  lost       {kind}: {count}" for kind, count in sorted(report["lost_by_reason"].items())]
    memory = report["memory"]
    if not memory["measured"]:
        lines.append("memory       not measured (give --server-pid with --url; needs /proc)")
    else:
        line = f"memory RSS   start {memory['start_mb']} MB  peak {memory['peak_mb']} MB  end {memory['end_mb']} MB"
        if memory.get("growth_after_caps_mb") is not None:
            slope = memory["slope_after_caps_mb_per_min"]
            line += (
                f"\n             caps reached at {memory['caps_reached_at_s']} s ({memory['at_caps_mb']} MB); "
                f"over the {memory['window_after_caps_s']} s after: {memory['growth_after_caps_mb']:+} MB "
                f"(range {memory['range_after_caps_mb']} MB"
                + (f", trend {slope:+} MB/min)" if slope is not None else ")")
            )
        else:
            line += "; caps not reached (raise --seconds or lower --max-tasks)"
        lines.append(line)
    lines.append("result       " + ("PASS" if report["passed"] else "FAIL"))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the report, exit 0 only if nothing but injected errors happened."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    report = run(args, "python bench/soak.py " + " ".join(arguments))
    print(render(report), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
