"""A real `redis-server` on a free loopback port in a temporary folder, for the shared-state tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

__all__ = ["REDIS_SERVER", "RedisServer", "free_port"]

REDIS_SERVER = shutil.which("redis-server")
START_SECONDS = 20.0


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One `redis-server` process: no persistence, loopback only; restartable on the same port."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (CI installs it: apt-get install redis-server)")
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait (bounded) until it answers PING."""
        assert REDIS_SERVER is not None
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        try:
            while True:
                assert self.process.poll() is None, "redis-server exited during start-up"
                try:
                    if client.ping():
                        return self
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"redis-server did not answer PING within {START_SECONDS} s") from None
                    time.sleep(0.02)  # start-up polling, not a timed assertion
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: Redis vanishes mid-run, as a crashed host would."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM and wait."""
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=20)
        self.process = None
