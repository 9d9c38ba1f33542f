"""The candidate HTTP servers for the mock, side by side: req/s, 1-connection p50 and CPU per request.

Each candidate serves the same core (`Router.handle`, memory state) on a free loopback port,
all at once; wrk drives each in turn (ABBA), 16 connections then one, with the create bodies
of `bench_http.py`. CPU per request is the server process's user + system time over the
requests it answered (a server whose work runs in child processes shows none).

- `event loop (uvloop)`: the `mockserver` command as shipped;
- `event loop (asyncio)`: the same on asyncio's own loop;
- `uvicorn + httptools`: a minimal ASGI face over `Router.handle` (`pip install uvicorn httptools`);
- `granian WSGI`: the Flask app, one worker, one blocking thread (`pip install granian`);
- `before`: with `--before DIR`, the `mockserver` of another checkout (e.g. a worktree of
  the commit before issue 24), run with this interpreter.

Candidates whose packages are missing are skipped. Loopback only; bounded in time.

    python bench/probe_servers.py                      # 3 rounds x 3 s per load
    python bench/probe_servers.py --quick              # 1 round x 1 s
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_http import _free_port, run_wrk, wrk_script
from bench_keepalive import _wait_for

BIN = Path(sys.executable).parent
ASGI_FACE = """
from mockserver.contract import ContractEngine, Settings
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from mockserver.dashboard import dashboard_reply

router = Router(ContractEngine(Settings()), page=dashboard_reply)

async def app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host", "127.0.0.1")
    reply = router.handle(Incoming(scope["method"], scope["path"], headers, body, f"http://{host}/", scope["client"][0]))
    out = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
    out.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": out})
    await send({"type": "http.response.body", "body": reply.body})
"""
ASYNCIO_LOOP = """
import asyncio, sys
import mockserver.live.loop.server as event_server
event_server.new_event_loop = asyncio.new_event_loop
from mockserver.cli import main
sys.exit(main(sys.argv[1:]))
"""


def candidates(directory: Path, before: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Name -> (command ending where the port goes, extra environment), for the installed ones."""
    (directory / "asgi_face.py").write_text(ASGI_FACE)
    (directory / "asyncio_loop.py").write_text(ASYNCIO_LOOP)
    found: dict[str, tuple[list[str], dict[str, str]]] = {}
    if before is not None:
        found["before"] = ([sys.executable, "-m", "mockserver", "--quiet", "--port"], {"PYTHONPATH": str(before)})
    found["event loop (uvloop)"] = ([str(BIN / "mockserver"), "--quiet", "--port"], {})
    found["event loop (asyncio)"] = ([sys.executable, str(directory / "asyncio_loop.py"), "--quiet", "--port"], {})
    if importlib.util.find_spec("uvicorn") and importlib.util.find_spec("httptools"):
        uvicorn = [str(BIN / "uvicorn"), "--app-dir", str(directory), "asgi_face:app", "--http", "httptools"]
        found["uvicorn + httptools"] = (
            [*uvicorn, "--loop", "uvloop", "--log-level", "warning", "--no-access-log", "--port"],
            {},
        )
    if importlib.util.find_spec("granian"):
        granian = [str(BIN / "granian"), "--interface", "wsgi", "--workers", "1", "--blocking-threads", "1"]
        found["granian WSGI"] = ([*granian, "--log-level", "warning", "--port"], {})
    return found


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one 1 s round per load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--before", type=Path, help="a checkout whose `mockserver` runs as the 'before' side")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        script = wrk_script(directory)
        processes: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for name, (command, env) in candidates(directory, args.before).items():
                port = _free_port()
                full = [*command, str(port)]
                if "granian" in command[0]:
                    full.append("mockserver.live.wsgi:app")
                log = directory / f"{len(processes)}.log"
                with log.open("wb") as sink:
                    process = subprocess.Popen(full, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
                processes[name] = (process, port)
                _wait_for(port, process, name, log)
            load_before = os.getloadavg()[0]
            many: dict[str, list[float]] = {name: [] for name in processes}
            one: dict[str, list[float]] = {name: [] for name in processes}
            cpu: dict[str, list[float]] = {name: [] for name in processes}
            for number in range(args.rounds):
                order = list(processes) if number % 2 == 0 else list(processes)[::-1]
                for name in order:
                    process, port = processes[name]
                    spent = _cpu_seconds(process.pid)
                    load = run_wrk(port, args.seconds, 16, 1, script)
                    cpu[name].append((_cpu_seconds(process.pid) - spent) / max(load.responses, 1) * 1e6)
                    many[name].append(load.rate)
                    one[name].append((run_wrk(port, args.seconds, 1, 1, script).p50_ms or 0.0) * 1000)
        finally:
            for process, _ in processes.values():
                process.terminate()
                process.wait(timeout=10)
    print(
        f"{args.rounds} round(s) x {args.seconds:g} s per load; {os.cpu_count()} CPUs, load average"
        f" {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"{'server':<22} {'16-conn req/s':>13} {'1-conn p50 us':>13} {'CPU us/request':>14}")
    for name in processes:
        print(
            f"{name:<22} {statistics.median(many[name]):>13.0f} {statistics.median(one[name]):>13.0f}"
            f" {statistics.median(cpu[name]):>14.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
