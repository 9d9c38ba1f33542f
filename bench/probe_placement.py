"""1-connection p50 latency of `mockserver` and WireMock by where the scheduler puts server and client.

On a 2-core machine wrk and the server either share a core or sit on two. This probe pins
both (every thread, `taskset`) to each placement in turn and reads wrk's p50 with one
keep-alive connection, the sides alternating; "unpinned" leaves the choice to the kernel,
as `bench_keepalive.py` does. WireMock is warmed first (16 s). The load average is printed.

    python bench/probe_placement.py            # 3 rounds x 2 s per side and placement
    python bench/probe_placement.py --quick    # 1 round x 1 s, 1 s warm-up
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_http import run_wrk, wrk_script
from bench_keepalive import find_wiremock_jar, mockserver, wiremock

#: (label, server's CPUs, wrk's CPUs); None leaves the placement to the scheduler.
PLACEMENTS = (
    ("same core", "0", "0"),
    ("two cores", "1", "0"),
    ("unpinned", None, None),
)


def _pids_on(port: int) -> list[int]:
    """The pids listening on loopback `port` (the server under test)."""
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return sorted({int(part.split("=")[1]) for part in out.replace(",", " ").split() if part.startswith("pid=")})


def _pin(pids: list[int], cpus: str | None) -> None:
    every = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0)))
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus or every, str(pid)], capture_output=True, check=True)


def main(argv: list[str] | None = None) -> int:
    """Print the p50 table; exit 2 without taskset, ss, wrk, java, 2 CPUs or WireMock's jar."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round, 1 s warm-up (smoke test)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=16.0)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 1.0
    jar = find_wiremock_jar()
    tools = all(shutil.which(tool) for tool in ("taskset", "ss", "wrk", "java"))
    if not tools or jar is None or len(os.sched_getaffinity(0)) < 2:
        print(
            "needs taskset, ss, wrk, java, 2 CPUs and WireMock's jar (bench_keepalive.py installs it)", file=sys.stderr
        )
        return 2
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        script = wrk_script(directory)
        with wiremock(jar, directory) as wire_port, mockserver(directory) as mock_port:
            ports = {"WireMock": wire_port, "vidu-mock": mock_port}
            pids = {label: _pids_on(port) for label, port in ports.items()}
            for port in ports.values():
                run_wrk(port, args.warmup, 16, 1, script)
            print(
                f"1-connection p50 (us) by placement; {args.rounds} round(s) x {args.seconds:g} s per side;"
                f" {os.cpu_count()} CPUs, load average {before:.2f} before"
            )
            print(f"{'placement':<10} {'WireMock':>9} {'vidu-mock':>9} {'ratio':>6}  per round (WireMock/vidu-mock)")
            for label, server_cpus, client_cpus in PLACEMENTS:
                for side in ports:
                    _pin(pids[side], server_cpus)
                p50: dict[str, list[float]] = {side: [] for side in ports}
                for number in range(args.rounds):
                    for side in ports if number % 2 == 0 else list(ports)[::-1]:
                        run = run_wrk(ports[side], args.seconds, 1, 1, script, cpus=client_cpus)
                        p50[side].append((run.p50_ms or 0.0) * 1000)
                wire, mock = (statistics.median(p50[side]) for side in ports)
                rounds = " ".join(f"{w:.0f}/{m:.0f}" for w, m in zip(p50["WireMock"], p50["vidu-mock"], strict=True))
                print(f"{label:<10} {wire:>9.0f} {mock:>9.0f} {mock / max(wire, 1.0):>6.2f}  {rounds}")
    print(f"load average {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
