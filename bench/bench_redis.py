"""Create and poll throughput and p99 latency with Redis state vs memory state, under gunicorn, one run.

The same mock (`mockserver.live.wsgi:app`) runs under gunicorn with the same workers: on
in-memory state (the default), with `VIDU_MOCK_STATE=redis://...` on a redis-server this
script starts on a free loopback port (no persistence, in a temporary folder), and, as the
yardstick, on memory state plus one PING to that Redis per request (`round_trip_app.py`):
the best ratio any state with one round trip per request can reach on this machine.
Creates: the same wrk load and create bodies as `bench_http.py`. Polls: wrk polls 64 tasks
each side created first, round robin. Rounds alternate between the sides (ABBA); a ratio is
the median of the per-round ratios. CPU per request is the workers' plus redis-server's,
both read from /proc around each round. The header gives the load average:
figures taken on a busy machine (load average 2 or more on 2 cores) scatter. Needs wrk and
redis-server.

    python bench/bench_redis.py            # 6 rounds x 2 s per side and workload, gunicorn --workers 4
    python bench/bench_redis.py --quick    # one 1 s round per side and workload (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import bench_http
from bench_http import _WRK_SCRIPT, BODY_TEMPLATES, CREATE, MOCK, TOKEN, Load, Side, process_cpu_seconds

TARGET = 0.75
POLLED_TASKS = 64
WORKLOADS = ("create", "poll")

# The poll load: GET each task in turn; answers counted as in the create script.
_POLL_SCRIPT = """
local ids = {%(ids)s}
local headers = {["Authorization"] = "Bearer %(token)s"}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  responses = 0
  non200 = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", "%(path)s/" .. ids[(counter %% #ids) + 1], headers)
end
""" + _WRK_SCRIPT[_WRK_SCRIPT.index("function response(") :]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(directory: Path) -> Iterator[tuple[str, int]]:
    """A throwaway redis-server on loopback; yields its URL and pid."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(directory)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


#: The third side: memory state plus one PING per request (`round_trip_app.py`).
FLOOR = "mem+PING"


def sides(url: str) -> tuple[Side, Side, Side]:
    """The mock on memory state, on Redis state, and on memory state plus one Redis round trip."""
    return (
        Side("memory", MOCK.target, MOCK.env),
        Side("redis", MOCK.target, {**MOCK.env, "VIDU_MOCK_STATE": url, "VIDU_MOCK_STATE_PREFIX": "bench:"}),
        Side(FLOOR, "round_trip_app:app", {**MOCK.env, "VIDU_BENCH_PING_URL": url}),
    )


def created_ids(port: int, count: int) -> list[str]:
    """Create `count` tasks (the bench's bodies in turn) and return their ids."""
    ids = []
    for number in range(count):
        body = (BODY_TEMPLATES[number % len(BODY_TEMPLATES)] % number).encode()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        call = urllib.request.Request(f"http://127.0.0.1:{port}{CREATE}", body, headers, method="POST")
        with urllib.request.urlopen(call, timeout=10) as reply:  # noqa: S310  # loopback only
            ids.append(json.load(reply)["id"])
    return ids


def measure_polls(args: argparse.Namespace, sides: tuple[Side, ...], backend_pid: int) -> dict[str, list[Load]]:
    """Start every side, create tasks on each, then drive polls of them in alternating rounds.

    Each round also records redis-server's CPU (`Load.backend_cpu`, pid `backend_pid`)."""
    rounds: dict[str, list[Load]] = {side.label: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="vidu-bench-polls-") as tmp, ExitStack() as stack:
        directory = Path(tmp)
        servers, scripts, masters = {}, {}, {}
        for side in sides:
            port, masters[side.label] = stack.enter_context(
                bench_http.gunicorn(side, args.workers, args.worker_class, args.threads, directory)
            )
            ids = ", ".join(f'"{task_id}"' for task_id in created_ids(port, POLLED_TASKS))
            script = directory / f"poll-{side.label}.lua"
            script.write_text(_POLL_SCRIPT % {"ids": ids, "token": TOKEN, "path": CREATE})
            servers[side.label], scripts[side.label] = port, script
        for side in sides:  # warm-up
            bench_http.run_wrk(servers[side.label], 1.0, args.connections, 1, scripts[side.label])
        for number in range(args.rounds):
            for side in sides if number % 2 == 0 else sides[::-1]:  # ABBA: drift hits both alike
                before = bench_http.workers_cpu_seconds(masters[side.label])
                backend = process_cpu_seconds(backend_pid)
                load = bench_http.run_wrk(servers[side.label], args.seconds, args.connections, 1, scripts[side.label])
                after = bench_http.workers_cpu_seconds(masters[side.label])
                cpu = after - before if after is not None and before is not None else None
                backend_cpu = process_cpu_seconds(backend_pid) - backend
                rounds[side.label].append(replace(load, cpu=cpu, backend_cpu=backend_cpu))
    return rounds


def _ratio_line(name: str, over: list[Load], under: list[Load], target: float | None) -> float:
    """Print the median of per-round ratios `over` / `under`; return it."""
    ratios = [top.rate / bottom.rate for top, bottom in zip(over, under, strict=True)]
    ratio = statistics.median(ratios)
    verdict = f"  target >= {target}: {'meets' if ratio >= target else 'MISSES'}" if target is not None else ""
    print(f"ratio {name} (median of per-round ratios): {ratio:.2f}  [{', '.join(f'{r:.2f}' for r in ratios)}]{verdict}")
    return ratio


def report(workload: str, rounds: dict[str, list[Load]], args: argparse.Namespace) -> float:
    """Print one workload's table; return the ratio redis / memory."""
    load = os.getloadavg()[0]
    busy = "; a busy machine: figures scatter" if load >= 2 else ""
    print(
        f"{workload.capitalize()} throughput, state in memory vs Redis: gunicorn --workers {args.workers};"
        f" wrk -t1 -c{args.connections}; {args.rounds} round(s) x {args.seconds:g} s per side;"
        f" {os.cpu_count()} CPUs, load average {load:.1f}{busy}"
    )
    print(
        f"{'side':<8} {'median req/s':>12} {'p99 ms':>7} {'CPU us/req':>10} {'+redis-server':>13}  {'non-200':>7}"
        f" {'errors':>6}  per round (req/s)"
    )
    cpu: dict[str, float] = {}
    for label, runs in rounds.items():
        p99 = statistics.median(run.p99_ms or 0.0 for run in runs)
        answered = sum(run.responses for run in runs)
        workers = server = "-"
        if answered and all(run.cpu is not None for run in runs):
            per_request = sum(run.cpu or 0.0 for run in runs) / answered * 1e6
            backend = sum(run.backend_cpu or 0.0 for run in runs) / answered * 1e6
            cpu[label] = per_request + backend
            workers, server = f"{per_request:.0f}", f"{backend:.0f}"
        print(
            f"{label:<8} {statistics.median(run.rate for run in runs):>12.0f} {p99:>7.2f} {workers:>10} {server:>13}  "
            f"{sum(run.non_200 for run in runs):>7} {sum(run.errors for run in runs):>6}  "
            + " ".join(f"{run.rate:.0f}" for run in runs)
        )
    ratio = _ratio_line("redis / memory", rounds["redis"], rounds["memory"], TARGET)
    _ratio_line(f"{FLOOR} / memory (the best one round trip allows)", rounds[FLOOR], rounds["memory"], None)
    _ratio_line(f"redis / {FLOOR}", rounds["redis"], rounds[FLOOR], None)
    if len(cpu) == len(rounds):
        print(
            "CPU per request (gunicorn workers plus redis-server), memory / redis:"
            f" {cpu['memory'] / cpu['redis']:.2f}, memory / {FLOOR}: {cpu['memory'] / cpu[FLOOR]:.2f}"
            " (less sensitive to other load)"
        )
    return ratio


def main(argv: list[str] | None = None) -> int:
    """Run every side and print the tables; exit 1 if any request failed or was not 200."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round per side (smoke test)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per side per round")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workload", choices=(*WORKLOADS, "both"), default="both")
    args = parser.parse_args(argv)
    args.worker_class, args.threads = "sync", 1
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="vidu-bench-redis-") as tmp, redis_server(Path(tmp)) as (url, pid):
        for workload in WORKLOADS if args.workload == "both" else (args.workload,):
            if workload == "create":
                rounds = bench_http.measure(args, "wrk", sides(url), backend_pid=pid)
            else:
                rounds = measure_polls(args, sides(url), pid)
            report(workload, rounds, args)
            failed += sum(run.non_200 + run.errors for runs in rounds.values() for run in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
