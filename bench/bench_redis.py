"""Create throughput and p99 latency with Redis state vs memory state, both under gunicorn, one run.

The same mock (`mockserver.live.wsgi:app`) runs twice under gunicorn with the same workers: once
on in-memory state (the default) and once with `VIDU_MOCK_STATE=redis://...` on a
redis-server this script starts on a free loopback port (no persistence, in a temporary
folder). Rounds alternate between the two (ABBA) with the same wrk load and create bodies
as `bench_http.py`; a ratio is the median of the per-round ratios. Needs wrk and
redis-server.

    python bench/bench_redis.py            # 6 rounds x 2 s per side, gunicorn --workers 4
    python bench/bench_redis.py --quick    # one 1 s round per side (smoke test)
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bench_http
from bench_http import MOCK, Load, Side

TARGET = 0.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway redis-server on loopback; yields its URL."""
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
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def sides(url: str) -> tuple[Side, Side]:
    """The mock on memory state and on Redis state, otherwise the same."""
    return (
        Side("memory", MOCK.target, MOCK.env),
        Side("redis", MOCK.target, {**MOCK.env, "VIDU_MOCK_STATE": url, "VIDU_MOCK_STATE_PREFIX": "bench:"}),
    )


def report(rounds: dict[str, list[Load]], args: argparse.Namespace) -> float:
    """Print the table; return the ratio redis / memory."""
    print(
        f"Create throughput, state in memory vs Redis: gunicorn --workers {args.workers}; wrk -t1 -c{args.connections};"
        f" {args.rounds} round(s) x {args.seconds:g} s per side; {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'side':<8} {'median req/s':>12} {'p99 ms':>7}  {'non-200':>7} {'errors':>6}  per round (req/s)")
    for label, runs in rounds.items():
        p99 = statistics.median(run.p99_ms or 0.0 for run in runs)
        print(
            f"{label:<8} {statistics.median(run.rate for run in runs):>12.0f} {p99:>7.2f}  "
            f"{sum(run.non_200 for run in runs):>7} {sum(run.errors for run in runs):>6}  "
            + " ".join(f"{run.rate:.0f}" for run in runs)
        )
    ratios = [red.rate / mem.rate for mem, red in zip(rounds["memory"], rounds["redis"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(
        f"ratio redis / memory (median of per-round ratios): {ratio:.2f}  "
        f"[{', '.join(f'{r:.2f}' for r in ratios)}]  target >= {TARGET}: {verdict}"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    """Run both sides and print the table; exit 1 if any request failed or was not 200."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round per side (smoke test)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0, help="per side per round")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    args.worker_class, args.threads = "sync", 1
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="vidu-bench-redis-") as tmp, redis_server(Path(tmp)) as url:
        rounds = bench_http.measure(args, "wrk", sides(url))
    report(rounds, args)
    failed = sum(run.non_200 + run.errors for runs in rounds.values() for run in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
