"""The server under load: started in this process, in a child process, or already running."""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Sample", "Target", "child_server", "in_process_server", "read_rss", "running_server", "sample_memory"]


@dataclass
class Target:
    """Where the server is, what is known of it, and how to stop it and count its errors."""

    host: str
    port: int
    description: str
    lifecycle: str
    max_tasks: int | None
    max_journal: int | None
    pid: int | None
    stop: Callable[[], None]
    server_errors: Callable[[], int]
    sizes: Callable[[], tuple[int, int]] | None = None  # (stored tasks, journal entries) when known


def in_process_server(settings: dict[str, Any]) -> Target:
    """A `LiveServer` in this process: exact store and journal sizes; RSS includes the clients."""
    from mockserver.contract.settings import Settings
    from mockserver.live import LiveServer

    counter = _ErrorCounter()
    # The live face's loggers ("mockserver.live.app", Flask's, propagates to its parent) and the event loop's.
    for name in ("mockserver.live", "werkzeug", "asyncio"):
        logging.getLogger(name).addHandler(counter)
    server = LiveServer(Settings(port=0, quiet=True, **settings)).start()
    engine = server.engine
    return Target(
        "127.0.0.1",
        server.port,
        f"in-process LiveServer on {server.url}",
        settings["lifecycle"],
        settings["max_tasks"],
        settings["max_journal"],
        os.getpid(),
        server.stop,
        lambda: counter.count,
        lambda: (len(engine.store), len(engine.journal.entries())),
    )


def child_server(settings: dict[str, Any]) -> Target:
    """`python -m mockserver` in a child process: RSS is the server's alone, and it has its own GIL."""
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in settings.items()]
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  # read after the child stops, so it outlives this function
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", "--quiet", *flags],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    if "serving http://" not in banner:
        process.kill()
        log.seek(0)
        raise SystemExit(f"the mock did not start: {banner}{log.read()}")
    url = banner.split("serving ", 1)[1].split()[0]
    port = int(url.rsplit(":", 1)[1])

    def stop() -> None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def errors() -> int:
        log.seek(0)
        return log.read().count("Traceback")

    return Target(
        "127.0.0.1",
        port,
        f"child process `python -m mockserver` (pid {process.pid}) on {url}",
        settings["lifecycle"],
        settings["max_tasks"],
        settings["max_journal"],
        process.pid,
        stop,
        errors,
    )


def running_server(url: str, pid: int | None) -> Target:
    """A mock someone else started; its lifecycle and caps come from /__mock/config if allowed."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    config: dict[str, Any] = {}
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", "/__mock/config")
        response = conn.getresponse()
        if response.status == 200:
            config = json.loads(response.read())
    except (OSError, http.client.HTTPException, ValueError):
        pass  # unknown settings: the run still measures what the clients see
    finally:
        conn.close()
    return Target(
        host,
        port,
        f"running server at {url}",
        str(config.get("lifecycle", "time")),
        config.get("max_tasks"),
        config.get("max_journal"),
        pid,
        lambda: None,
        lambda: 0,
    )


class _ErrorCounter(logging.Handler):
    """Counts ERROR records from the server (exceptions a client may never see)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record."""
        self.count += 1


def read_rss(pid: int) -> int | None:
    """Resident set size of process `pid` in bytes (Linux /proc), or None where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class Sample:
    """One memory sample: seconds since start, RSS bytes, stored tasks and journal entries."""

    at: float
    rss: int | None
    tasks: int | None
    journal: int | None


def sample_memory(
    pid: int | None,
    sizes: Callable[[], tuple[int | None, int | None]],
    every: float,
    stop: threading.Event,
    samples: list[Sample],
    started: float,
) -> None:
    """Append a `Sample` every `every` seconds until `stop` is set (and once more at the end)."""
    while True:
        tasks, journal = sizes()
        samples.append(Sample(time.monotonic() - started, read_rss(pid) if pid else None, tasks, journal))
        if stop.wait(every):
            tasks, journal = sizes()
            samples.append(Sample(time.monotonic() - started, read_rss(pid) if pid else None, tasks, journal))
            return
