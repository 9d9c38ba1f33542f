"""Create throughput over HTTP: vidu-mock vs bare Flask apps, same gunicorn, same load, one run.

Two baselines parse the JSON body and answer a fixed job: "bare Flask" returns the job's
bytes (the strictest, the headline); "Flask, dict" is the everyday way (`get_json()`, a
dict returned). All three apps run under gunicorn at once with the same settings
(default: `--workers 2`, sync workers, the README's deployment). Rounds alternate between
them (ABBA order, so drift on a shared machine hits all alike), each round driving one app
with the same load generator and the same realistic create bodies (four modes, a unique
prompt per request, a bearer token). A ratio is the median of the per-round ratios.

    python bench/bench_http.py            # 10 rounds x 2 s per side; wrk if installed, else Python
    python bench/bench_http.py --quick    # one 1 s round per side (smoke test)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from fixed_job import FIXED_JOB
from flask import Flask, Response, request

TARGET = 0.8
TOKEN = "sk-bench-http"  # noqa: S105  # a fake bearer token the mock is told to accept
CREATE = "/v1/video/generations"
BENCH_DIR = Path(__file__).resolve().parent


# One body per mode; `%d` becomes a request counter, so no two prompts are the same.
BODY_TEMPLATES: tuple[str, ...] = tuple(
    json.dumps(body, separators=(",", ":")).replace("COUNTER", "%d")
    for body in (
        {
            "model": "viduq3p-720p",
            "prompt": "a red fox running through fresh snow at dawn, cinematic, take COUNTER",
            "duration": "5",
            "aspect_ratio": "16:9",
        },
        {
            "model": "viduq3t-1080p",
            "prompt": "the camera slowly pushes in on the lighthouse, take COUNTER",
            "image": "https://images.example.com/lighthouse/first-frame.png",
            "duration": 8,
        },
        {
            "model": "viduq3p-540p-offpeak",
            "prompt": "the flower opens, take COUNTER",
            "image": "https://images.example.com/flower/closed.jpg",
            "last_image": "https://images.example.com/flower/open.jpg",
            "duration": 4,
        },
        {
            "model": "viduq3p-mix-720p",
            "prompt": "the two characters meet on a bridge at night, take COUNTER",
            "reference_image_urls": [
                "https://images.example.com/characters/a.png",
                "https://images.example.com/characters/b.png",
                "https://images.example.com/scenes/bridge.webp",
            ],
            "aspect_ratio": "9:16",
            "extra_body": {"seed": 42, "audio": True},
        },
    )
)


def bare_app() -> Flask:
    """The baseline: parse the JSON body, answer a fixed job's bytes (gunicorn target `bench_http:bare_app()`)."""
    app = Flask("bare")

    @app.post(CREATE)
    def create() -> Response:
        json.loads(request.get_data())
        return Response(FIXED_JOB, status=200, content_type="application/json")

    return app


def idiomatic_app() -> Flask:
    """The same in everyday Flask: `request.get_json()`, and a dict returned (Flask serializes it)."""
    app = Flask("idiomatic")
    job: dict[str, Any] = json.loads(FIXED_JOB)

    @app.post(CREATE)
    def create() -> dict[str, Any]:
        request.get_json()
        return job

    return app


# -- servers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One app under test: its label, gunicorn target and extra environment."""

    label: str
    target: str
    env: dict[str, str]


SIDES = (
    Side("bare Flask", "bench_http:bare_app()", {}),
    Side("Flask, dict", "bench_http:idiomatic_app()", {}),
    Side(
        "vidu-mock",
        "mockserver.live.wsgi:app",
        {"VIDU_MOCK_TOKENS": TOKEN, "VIDU_MOCK_SECRET": "bench-secret", "VIDU_MOCK_QUIET": "true"},
    ),
)
MOCK = SIDES[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited during start-up:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # start-up polling
    raise SystemExit("gunicorn did not start within 60 s")


def workers_cpu_seconds(master: int) -> float | None:
    """User + system CPU seconds used so far by the worker processes of gunicorn `master` (Linux /proc)."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended while we looked
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            found = True
    return total if found else None


@contextmanager
def gunicorn(side: Side, workers: int, worker_class: str, threads: int, logdir: Path) -> Iterator[tuple[int, int]]:
    """Run `side` under gunicorn on a free loopback port; yield the port and the master's pid."""
    port = _free_port()
    log = logdir / f"{side.label.replace(' ', '-')}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(BENCH_DIR),
        "--log-level",
        "warning",
        side.target,
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **side.env}, stdout=out, stderr=out)
    try:
        _wait_for_port(port, process, log)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_answers(port: int, validates: bool) -> None:
    """Every template gets a 200 job; for vidu-mock, an invalid body gets a 400 (validation is on)."""
    for index, template in enumerate(BODY_TEMPLATES):
        status, body = _post(port, (template % index).encode())
        if status != 200 or json.loads(body).get("object") != "video.generation.job":
            raise SystemExit(f"template {index} got {status}: {body[:300]!r}")
    if validates:
        status, body = _post(port, b'{"model": "viduq3p-720p", "prompt": "x", "duration": 99}')
        if status != 400:
            raise SystemExit(f"an invalid body got {status}, not 400: {body[:300]!r}")


def _post(port: int, body: bytes) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    call = urllib.request.Request(f"http://127.0.0.1:{port}{CREATE}", body, headers, method="POST")
    try:
        with urllib.request.urlopen(call, timeout=10) as reply:  # noqa: S310  # loopback only
            return int(reply.status), bytes(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# -- load generators ------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One timed run: requests answered, how many were not 200, socket errors, seconds, worker CPU seconds."""

    responses: int
    non_200: int
    errors: int
    seconds: float
    cpu: float | None = None
    p99_ms: float | None = None  # wrk only: 99th-percentile latency
    p50_ms: float | None = None  # wrk only: median latency
    backend_cpu: float | None = None  # CPU seconds of a server the side talks to (redis-server), when asked

    @property
    def rate(self) -> float:
        """Responses per second (any status)."""
        return self.responses / self.seconds


_WRK_SCRIPT = """
local templates = {%(templates)s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  responses = 0
  non200 = 0
end

function request()
  counter = counter + 1
  local body = string.format(templates[(counter %% #templates) + 1], id * 100000000 + counter)
  return wrk.format("POST", "%(path)s", headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("responses")
    bad = bad + thread:get("non200")
  end
  local e = summary.errors
  io.write(string.format("VIDU_BENCH responses=%%d non200=%%d errors=%%d micros=%%d p99=%%d p50=%%d\\n",
    total, bad, e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(99.0),
    latency:percentile(50.0)))
end
"""


def wrk_script(directory: Path) -> Path:
    """Write the wrk Lua script (bodies, token, non-200 count) and return its path."""
    templates = ", ".join(f"[[{template}]]" for template in BODY_TEMPLATES)
    path = directory / "create.lua"
    path.write_text(_WRK_SCRIPT % {"templates": templates, "token": TOKEN, "path": CREATE})
    return path


def run_wrk(port: int, seconds: float, connections: int, threads: int, script: Path, cpus: str | None = None) -> Load:
    """Drive the server with wrk for `seconds`; with `cpus` (a `taskset` list), wrk runs only there."""
    command = [
        *(["taskset", "-c", cpus] if cpus is not None else []),
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{CREATE}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"VIDU_BENCH responses=(\d+) non200=(\d+) errors=(\d+) micros=(\d+) p99=(\d+) p50=(\d+)", output)
    if match is None:
        raise SystemExit(f"wrk printed no summary:\n{output}")
    responses, non_200, errors, micros, p99, p50 = (int(group) for group in match.groups())
    return Load(responses, non_200, errors, micros / 1e6, p99_ms=p99 / 1000, p50_ms=p50 / 1000)


def _read_reply(sock: socket.socket, pending: bytes) -> tuple[int, bool, bytes]:
    """Read one HTTP/1.1 reply: (status, server closes, bytes left over)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, closes = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            closes = value.strip().lower() == "close"
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return status, closes, rest[length:]


def _python_client(port: int, seconds: float, number: int, start: Event, results: Any) -> None:
    """One client process: one request at a time, keep-alive when the server allows it."""
    head = f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
    head += "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    responses = non_200 = errors = 0
    counter = number * 100_000_000
    sock: socket.socket | None = None
    pending = b""
    start.wait()
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        counter += 1
        body = (BODY_TEMPLATES[counter % len(BODY_TEMPLATES)] % counter).encode()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                pending = b""
            sock.sendall((head % len(body)).encode() + body)
            status, closes, pending = _read_reply(sock, pending)
        except OSError:
            errors += 1
            if sock is not None:
                sock.close()
            sock = None
            continue
        responses += 1
        non_200 += status != 200
        if closes:
            sock.close()
            sock = None
    elapsed = time.perf_counter() - began
    if sock is not None:
        sock.close()
    results.put((responses, non_200, errors, elapsed))


def run_python(port: int, seconds: float, connections: int) -> Load:
    """Drive the server with `connections` client processes (one request in flight each)."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    processes = [
        context.Process(target=_python_client, args=(port, seconds, number, start, results))
        for number in range(connections)
    ]
    for process in processes:
        process.start()
    time.sleep(0.5)  # let the spawned clients import before the clock starts; not a measurement
    start.set()
    totals = [results.get(timeout=seconds + 60) for _ in processes]
    for process in processes:
        process.join()
    return Load(
        sum(t[0] for t in totals),
        sum(t[1] for t in totals),
        sum(t[2] for t in totals),
        statistics.mean(t[3] for t in totals),
    )


# -- the run ---------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds one process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    args: argparse.Namespace, client: str, sides: tuple[Side, ...] = SIDES, backend_pid: int | None = None
) -> dict[str, list[Load]]:
    """Start every side's server, check their answers, warm them up, then drive them in alternating rounds.

    With `backend_pid`, each round also records that process's CPU (`Load.backend_cpu`)."""
    rounds: dict[str, list[Load]] = {side.label: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="vidu-bench-http-") as tmp:
        directory = Path(tmp)
        script = wrk_script(directory)

        def drive(port: int, seconds: float) -> Load:
            if client == "wrk":
                return run_wrk(port, seconds, args.connections, 1, script)
            return run_python(port, seconds, args.connections)

        with ExitStack() as stack:
            servers = {
                side.label: stack.enter_context(
                    gunicorn(side, args.workers, args.worker_class, args.threads, directory)
                )
                for side in sides
            }
            for side in sides:
                check_answers(servers[side.label][0], validates=side is MOCK)
            for port, _ in servers.values():
                drive(port, 1.0)  # warm-up: every worker compiles its validators, fills caches
            for number in range(args.rounds):
                for side in sides if number % 2 == 0 else sides[::-1]:  # ABBA: drift hits all alike
                    port, master = servers[side.label]
                    before = workers_cpu_seconds(master)
                    backend = process_cpu_seconds(backend_pid) if backend_pid is not None else 0.0
                    run = drive(port, args.seconds)
                    after = workers_cpu_seconds(master)
                    cpu = after - before if after is not None and before is not None else None
                    if backend_pid is not None:
                        run = replace(run, backend_cpu=process_cpu_seconds(backend_pid) - backend)
                    rounds[side.label].append(replace(run, cpu=cpu))
    return rounds


def report(rounds: dict[str, list[Load]], args: argparse.Namespace, client: str) -> float:
    """Print the table; return the headline ratio (against the strictest baseline, the first)."""
    generator = f"wrk -t1 -c{args.connections}" if client == "wrk" else f"Python client x{args.connections}"
    print(
        f"HTTP create throughput: gunicorn --workers {args.workers} --worker-class {args.worker_class}"
        f" --threads {args.threads}; {generator}; {args.rounds} round(s) x {args.seconds:g} s per side;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'side':<12} {'median req/s':>12} {'CPU us/req':>10}  {'non-200':>7} {'errors':>6}  per round (req/s)")
    cpu_per_request: dict[str, float] = {}
    for label, runs in rounds.items():
        cpus = [run.cpu for run in runs if run.cpu is not None]
        answered = sum(run.responses for run in runs)
        if len(cpus) == len(runs) and answered:
            cpu_per_request[label] = sum(cpus) / answered * 1e6
        cpu_text = f"{cpu_per_request[label]:.0f}" if label in cpu_per_request else "-"
        print(
            f"{label:<12} {statistics.median(run.rate for run in runs):>12.0f} {cpu_text:>10}  "
            f"{sum(run.non_200 for run in runs):>7} {sum(run.errors for run in runs):>6}  "
            + " ".join(f"{run.rate:.0f}" for run in runs)
        )
    headline = 0.0
    for baseline in SIDES[:-1]:
        pairs = zip(rounds[baseline.label], rounds[MOCK.label], strict=True)
        ratios = [mock.rate / base.rate for base, mock in pairs]
        ratio = statistics.median(ratios)
        headline = headline or ratio
        verdict = "meets" if ratio >= TARGET else "MISSES"
        print(
            f"ratio vidu-mock / {baseline.label} (median of per-round ratios): {ratio:.2f}  "
            f"[{', '.join(f'{r:.2f}' for r in ratios)}]  target >= {TARGET}: {verdict}"
        )
    if len(cpu_per_request) == len(SIDES):
        cpu_ratios = ", ".join(
            f"{side.label} {cpu_per_request[side.label] / cpu_per_request[MOCK.label]:.2f}" for side in SIDES[:-1]
        )
        print(f"worker CPU per request, baseline / vidu-mock: {cpu_ratios} (less sensitive to other load)")
    return headline


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table; exit 1 if any request failed or was not 200."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round per side (smoke test)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=2.0, help="per side per round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--client", default="auto", choices=("auto", "wrk", "python"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "python":
        args.connections = min(args.connections, 4)  # each is a process on the same cores as the servers
    rounds = measure(args, client)
    report(rounds, args, client)
    failed = sum(run.non_200 + run.errors for runs in rounds.values() for run in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
