"""The mock under gunicorn in a subprocess, as a host of a scaled-out deployment would run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.redis_server import free_port

__all__ = ["GUNICORN", "Host", "gunicorn_host"]

GUNICORN = Path(sys.executable).with_name("gunicorn")
START_SECONDS = 60.0


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during start-up"
        try:
            requests.get(url + "/__mock/config", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)  # start-up polling, not a timed assertion
    raise AssertionError(f"gunicorn did not start within {START_SECONDS} s")


@dataclass(frozen=True)
class Host:
    """One running gunicorn: its base URL and master process."""

    url: str
    master: subprocess.Popen[bytes]

    def workers(self) -> set[int]:
        """The master's live worker processes (Linux /proc)."""
        path = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children")
        return {int(pid) for pid in path.read_text().split()}


@contextmanager
def gunicorn_host(workers: int, *, options: Sequence[str] = (), **settings: str) -> Iterator[Host]:
    """`gunicorn --workers N [options] mockserver.live.wsgi:app` on a free loopback port with `VIDU_MOCK_<NAME>` settings."""
    port = free_port()
    env = {**os.environ, **{f"VIDU_MOCK_{name.upper()}": value for name, value in settings.items()}}
    command = [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", *options]
    command.append("mockserver.live.wsgi:app")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)
        yield Host(url, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
