"""Small fake gateways for the verifier's tests: the real mock behind a loopback proxy that bends its answers.

Starting from the mock (which the verifier passes) and changing one thing per fake keeps
each drift test honest: whatever the verifier reports comes from that one change.
"""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx

from mockserver.contract import ManualClock, Settings
from mockserver.live import LiveServer
from mockserver.verify.cli import main as verify_main

__all__ = ["KEY", "Exchange", "Fake", "Run", "fake_gateway", "run_verify", "serve"]

#: The key the fakes accept; distinctive, so a test can look for it in every output.
KEY = "sk-verify-SECRET-7f3a9c"
_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date", "server"}


@dataclass
class Exchange:
    """One request through the proxy and the answer it will give (a mutation may change it)."""

    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, value: Any, status: int | None = None) -> None:
        self.body = json.dumps(value).encode()
        self.headers["content-type"] = "application/json"
        if status is not None:
            self.status = status

    @property
    def is_poll(self) -> bool:
        return (
            self.method == "GET" and self.path.startswith("/v1/video/generations/task_") and "/content" not in self.path
        )

    @property
    def is_create(self) -> bool:
        return self.method == "POST" and self.path in ("/v1/video/generations", "/v1/videos")


Mutation = Callable[[Exchange], None]


@dataclass
class Fake:
    """A running fake: its base URL and every exchange it served (after mutation)."""

    url: str
    exchanges: list[Exchange] = field(default_factory=list)

    def count(self, predicate: Callable[[Exchange], bool]) -> int:
        return sum(1 for e in self.exchanges if predicate(e))


class _QuietServer(ThreadingHTTPServer):
    """A threaded server that lets a client hang up without a traceback on stderr.

    `verify` gives up on slow answers and closes its connection; writing the answer then
    raises `BrokenPipeError` (or a reset), which socketserver would print as a traceback
    in a passing run. Any other error is still printed.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client hung up: nothing to answer, nothing wrong with the fake
        super().handle_error(request, client_address)


@contextmanager
def serve(handle: Callable[[Exchange], None]) -> Iterator[Fake]:
    """An HTTP server on 127.0.0.1 answering each request through `handle` (which fills the answer in)."""
    fake = Fake("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            exchange = Exchange(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, 500, {}, b""
            )
            handle(exchange)
            with lock:
                fake.exchanges.append(exchange)
            self.send_response(exchange.status)
            for name, value in exchange.headers.items():
                if name.lower() not in _HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(exchange.body)))
            self.end_headers()
            self.wfile.write(exchange.body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def fake_gateway(mutate: Mutation | None = None, **settings: Any) -> Iterator[Fake]:
    """The mock (step lifecycle, only `KEY` accepted) behind a proxy that applies `mutate` to each answer."""
    options: dict[str, Any] = {"port": 0, "tokens": (KEY,), "lifecycle": "step", **settings}
    with LiveServer(Settings(**options), clock=ManualClock()) as upstream, httpx.Client() as http:
        holder: dict[str, str] = {}

        def handle(exchange: Exchange) -> None:
            headers = {k: v for k, v in exchange.request_headers.items() if k not in _HOP | {"host"}}
            answer = http.request(
                exchange.method, upstream.url + exchange.path, headers=headers, content=exchange.request_body
            )
            exchange.status = answer.status_code
            exchange.headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            # The job's video URL names the upstream; the verifier must see the proxy's own host.
            exchange.body = answer.content.replace(upstream.url.encode(), holder["url"].encode())
            if mutate is not None:
                mutate(exchange)

        with serve(handle) as fake:
            holder["url"] = fake.url
            yield fake


@dataclass
class Run:
    """One in-process `mockserver verify` run: exit code, outputs and the written reports."""

    code: int
    stdout: str
    stderr: str
    report: dict[str, Any]
    junit: str
    sleeps: list[float]

    def rows(self, verdict: str) -> list[dict[str, Any]]:
        return [c for c in self.report.get("checks", []) if c["verdict"] == verdict]

    def drift_text(self) -> str:
        return "\n".join(f"{c['check']} | {c['observed']} | {' '.join(c['details'])}" for c in self.rows("DRIFT"))

    def junit_suite(self) -> ET.Element:
        """The JUnit report, parsed (our own output, written by this run)."""
        return ET.fromstring(self.junit)  # noqa: S314

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, json.dumps(self.report), self.junit])


def run_verify(url: str, tmp_path: Path, *args: str, key: str | None = KEY, env_name: str = "VIDU_API_KEY") -> Run:
    """Run the verifier against `url` on a virtual clock (nothing sleeps); reports go to `tmp_path`."""
    out, err = io.StringIO(), io.StringIO()
    sleeps: list[float] = []
    json_path, junit_path = tmp_path / "report.json", tmp_path / "report.xml"
    argv: Sequence[str] = [
        "--base-url",
        url,
        "--rps",
        "1000",
        "--poll-interval",
        "0.01",
        "--deadline",
        "60",
        "--report-json",
        str(json_path),
        "--junit-xml",
        str(junit_path),
        *args,
    ]
    environ = {env_name: key} if key is not None else {}
    now = [0.0]

    def sleep(seconds: float) -> None:  # virtual time: waits are recorded, never slept
        sleeps.append(seconds)
        now[0] += seconds

    code = verify_main(argv, environ=environ, stdout=out, stderr=err, sleep=sleep, clock=lambda: now[0])
    report = json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else {}
    junit = junit_path.read_text(encoding="utf-8") if junit_path.exists() else ""
    return Run(code, out.getvalue(), err.getvalue(), report, junit, sleeps)
