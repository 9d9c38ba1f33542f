"""What the idle spin buys and costs: the `mockserver` command with and without it, and WireMock.

Three clients, each on one keep-alive connection, the sides alternating:
- fast: wrk -c1, the next request as soon as the answer is read (p50 latency);
- paced: a Python client that pauses 1 ms between requests, as a test suite does between
  calls (the spin misses, then rests): its median latency;
- idle: no requests at all.
For each, the server process's CPU per request (or per second when idle), and how often
its threads went to sleep (voluntary context switches): a server that sleeps after every
answer is woken by every request.
The load average is printed before and after; the CPU others used during the run too.

    python bench/probe_idle_spin.py            # 3 rounds x 3 s per side and client
    python bench/probe_idle_spin.py --quick    # 1 round x 1 s, no WireMock (smoke test)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench_http import CREATE, run_wrk, wrk_script
from bench_keepalive import find_wiremock_jar, mockserver, wiremock
from machine_use import MachineUse
from probe_placement import _pids_on

PAUSE_SECONDS = 0.001  # the paced client's pause between an answer and its next request
CLIENTS = ("fast", "paced", "idle")


def thread_totals(pid: int) -> tuple[float, int]:
    """(CPU seconds to the nanosecond, times a thread went to sleep) over the threads of `pid` alive now."""
    seconds, sleeps = 0, 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            seconds += int((task / "schedstat").read_text().split()[0])
            status = (task / "status").read_text()
        except (OSError, IndexError, ValueError):  # a thread that ended meanwhile
            continue
        sleeps += int(status.split("\nvoluntary_ctxt_switches:", 1)[1].split()[0])
    return seconds / 1e9, sleeps


def paced(port: int, seconds: float) -> tuple[int, float]:
    """(requests answered, median latency in us) of one connection pausing between requests."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            body = json.dumps({"model": "viduq3p-720p", "prompt": f"paced {len(latencies)}"})
            started = time.perf_counter()
            connection.request("POST", CREATE, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1e6)
            if response.status != 200:
                raise SystemExit(f"paced client: {response.status}")
            time.sleep(PAUSE_SECONDS)  # the pause this client is about
    finally:
        connection.close()
    return len(latencies), statistics.median(latencies)


def _totals(pids: list[int]) -> tuple[float, int]:
    totals = [thread_totals(pid) for pid in pids]
    return sum(cpu for cpu, _ in totals), sum(sleeps for _, sleeps in totals)


def one_round(port: int, pids: list[int], client: str, seconds: float, script: Path) -> tuple[float, float, float]:
    """(latency in us, server CPU in us and its threads' sleeps per request, or per second for `idle`)."""
    cpu, sleeps = _totals(pids)
    if client == "fast":
        run = run_wrk(port, seconds, 1, 1, script)
        answered, latency = run.responses, (run.p50_ms or 0.0) * 1000
    elif client == "paced":
        answered, latency = paced(port, seconds)
    else:
        time.sleep(seconds)  # the idle server's own CPU over this span
        answered, latency = 0, 0.0
    cpu_after, sleeps_after = _totals(pids)
    per = answered or seconds
    return latency, (cpu_after - cpu) * 1e6 / per, (sleeps_after - sleeps) / per


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 2 without wrk, ss or Linux's /proc."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round, no WireMock (smoke test)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--spin-us", type=int, default=100, help="the spinning side's --idle-spin-us")
    parser.add_argument("--warmup", type=float, default=16.0, help="seconds of wrk -c16 on each side first")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 1.0
    if not all(shutil.which(tool) for tool in ("wrk", "ss")) or not Path("/proc/stat").exists():
        print("needs wrk, ss and Linux's /proc", file=sys.stderr)
        return 2
    jar = None if args.quick or shutil.which("java") is None else find_wiremock_jar()
    before, start = os.getloadavg()[0], MachineUse.now()
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as temp, ExitStack() as stack:
        directory = Path(temp)
        script = wrk_script(directory)
        ports = {
            "no spin": stack.enter_context(mockserver(directory, "--idle-spin-us", "0", name="no-spin")),
            f"spin {args.spin_us} us": stack.enter_context(
                mockserver(directory, "--idle-spin-us", str(args.spin_us), name="spin")
            ),
        }
        if jar is not None:
            ports["WireMock"] = stack.enter_context(wiremock(jar, directory))
        pids = {side: _pids_on(port) for side, port in ports.items()}
        for port in ports.values():
            run_wrk(port, args.warmup, 16, 1, script)
        for number in range(args.rounds):
            order = list(ports) if number % 2 == 0 else list(ports)[::-1]
            for client in CLIENTS:
                for side in order:
                    results.setdefault((side, client), []).append(
                        one_round(ports[side], pids[side], client, args.seconds, script)
                    )
    others = MachineUse.now().others_since(start)
    print(
        f"idle spin: {args.rounds} round(s) x {args.seconds:g} s per side and client; {os.cpu_count()} CPUs,"
        f" load average {before:.2f} before, {os.getloadavg()[0]:.2f} after (the run's own); {others.describe()}"
    )
    print("per client: p50 latency (us), server CPU (us) and its threads' sleeps per request; idle: per second")
    header = ("fast p50", "CPU", "sleeps", "paced p50", "CPU", "sleeps", "idle CPU", "sleeps")
    print(f"{'side':<14} " + " ".join(f"{name:>9}" for name in header))
    for side in ports:
        fast, pace, idle = (
            [statistics.median(column) for column in zip(*results[(side, c)], strict=True)] for c in CLIENTS
        )
        cells = (*fast, *pace, *idle[1:])  # idle has no latency
        print(f"{side:<14} " + " ".join(f"{cell:>9.2f}" if cell < 10 else f"{cell:>9.0f}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
