"""Where a request's time goes in process: creates and polls through `Router.handle`, then through the face.

Two loops, each timed and then profiled with cProfile:
- core: `Router.handle` on the four create bodies of `bench_http.py` and a poll of each task;
- face: the same requests as raw HTTP/1.1 bytes fed to the event-loop server's `Connection`
  protocol over an in-memory transport (parse, `Incoming`, core, response bytes), no socket.

    python bench/profile_requests.py               # 20,000 requests per loop, top 25 functions
    python bench/profile_requests.py --quick       # 2,000 requests (smoke test)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from typing import Any

from bench_http import BODY_TEMPLATES, CREATE, TOKEN

from mockserver.contract import ContractEngine, Settings
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from mockserver.dashboard import dashboard_reply
from mockserver.live.loop.connection import Connection, Shared
from mockserver.live.loop.exchange import HostUrls
from mockserver.live.loop.server import new_event_loop

HEADERS = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json", "host": "127.0.0.1:8000"}


class MemoryTransport(asyncio.Transport):
    """Collects what the protocol writes; the profile loop reads the task id from it."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        raise AssertionError("the profile loop never closes its connection")

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


def core_loop(count: int) -> Callable[[], None]:
    """`count` requests through `Router.handle`: a create, then a poll of the task it made."""
    router = Router(ContractEngine(Settings(lifecycle="step", max_tasks=2000)), page=dashboard_reply)

    def run() -> None:
        for number in range(count // 2):
            body = BODY_TEMPLATES[number % len(BODY_TEMPLATES)].replace("%d", str(number)).encode()
            created = router.handle(Incoming("POST", CREATE, HEADERS, body, "http://127.0.0.1:8000/", "127.0.0.1"))
            task = created.json()["id"]
            router.handle(Incoming("GET", f"{CREATE}/{task}", HEADERS, b"", "http://127.0.0.1:8000/", "127.0.0.1"))

    return run


def face_loop(count: int) -> Callable[[], None]:
    """`count` requests as bytes through one kept-alive `Connection`: a create, then a poll."""
    engine = ContractEngine(Settings(lifecycle="step", max_tasks=2000))
    router = Router(engine, page=dashboard_reply)
    loop = new_event_loop()
    shared = Shared(router.handle, engine, HostUrls("127.0.0.1", 8000), 15.0, 30.0, None)
    connection = Connection(shared, loop)
    transport = MemoryTransport()
    connection.connection_made(transport)
    head = f"Host: 127.0.0.1:8000\r\nAuthorization: Bearer {TOKEN}\r\nUser-Agent: bench\r\n"

    def run() -> None:
        for number in range(count // 2):
            body = BODY_TEMPLATES[number % len(BODY_TEMPLATES)].replace("%d", str(number)).encode()
            connection.data_received(
                f"POST {CREATE} HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            answer = transport.written[-1]
            start = answer.index(b'"id":"') + 6
            task = answer[start : answer.index(b'"', start)].decode()
            connection.data_received(f"GET {CREATE}/{task} HTTP/1.1\r\n{head}\r\n".encode())
            transport.written.clear()

    return run


def measure(name: str, run: Callable[[], None], count: int, top: int) -> None:
    run()  # warm: imports, caches, the schema validator
    # CPU time, not wall time: on a shared machine it moves less with other work.
    started = time.process_time()
    run()
    elapsed = time.process_time() - started
    print(f"{name}: {elapsed / count * 1e6:.1f} us CPU per request ({count} requests, half creates, half polls)")
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    table = out.getvalue()
    print(table[table.index("   ncalls") :].rstrip())  # the table, without pstats' preamble


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 requests per loop")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile (by own time)")
    args = parser.parse_args(argv)
    count = 2_000 if args.quick else args.requests
    measure("core (Router.handle)", core_loop(count), count, args.top)
    measure("face (bytes -> Connection -> core -> bytes)", face_loop(count), count, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
