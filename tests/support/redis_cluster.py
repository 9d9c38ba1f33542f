"""A real 3-master Redis Cluster on loopback ports (Debian's redis-server in cluster mode).

Three `redis-server --cluster-enabled yes` processes, joined by `redis-cli --cluster
create`; ready once every node reports `cluster_state:ok` (polled, bounded).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from tests.support.redis_server import REDIS_SERVER, free_port

__all__ = ["REDIS_CLI", "RedisCluster"]

REDIS_CLI = shutil.which("redis-cli")
START_SECONDS = 30.0
_BIND_ATTEMPTS = 3


class RedisCluster:
    """Three master nodes, no replicas, no persistence; `url` names one node (`redis+cluster://`)."""

    def __init__(self, directory: Path, masters: int = 3) -> None:
        if REDIS_SERVER is None or REDIS_CLI is None:
            raise RuntimeError("redis-server and redis-cli are not installed (CI installs redis-server)")
        self.directory = directory
        self.masters = masters
        self.ports = _distinct_ports(masters)
        self.processes: list[subprocess.Popen[bytes]] = []
        self._attempt = 0

    @property
    def url(self) -> str:
        """`redis+cluster://127.0.0.1:<first node's port>`: any one node; the client finds the rest."""
        return f"redis+cluster://127.0.0.1:{self.ports[0][0]}"

    def start(self) -> RedisCluster:
        """Start the nodes, join them into one cluster, and wait until every node says it is ok.

        A free port can be taken between choosing it and the node binding it (other tests
        open loopback connections meanwhile): then the nodes start again on fresh ports.
        """
        assert REDIS_SERVER is not None and REDIS_CLI is not None
        for attempt in range(_BIND_ATTEMPTS):
            self._attempt = attempt
            self._start_nodes(attempt)
            try:
                for port, _ in self.ports:
                    self._wait(port, lambda client: bool(client.ping()), "answer PING")
                break
            except NodeExited as exited:
                self.stop()
                if "Address already in use" not in exited.log or attempt == _BIND_ATTEMPTS - 1:
                    raise AssertionError(f"a cluster node exited:\n{exited.log[-2000:]}") from None
                self.ports = _distinct_ports(self.masters)
        nodes = [f"127.0.0.1:{port}" for port, _ in self.ports]
        create = [REDIS_CLI, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"]
        subprocess.run(create, check=True, capture_output=True, timeout=START_SECONDS)
        for port, _ in self.ports:
            self._wait(port, _cluster_ok, "report cluster_state:ok")
        return self

    def _start_nodes(self, attempt: int) -> None:
        assert REDIS_SERVER is not None
        for port, bus in self.ports:
            node = self.directory / f"{attempt}-{port}"
            node.mkdir()
            command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            command += ["--cluster-enabled", "yes", "--cluster-port", str(bus)]
            command += ["--cluster-config-file", str(node / "nodes.conf"), "--dir", str(node)]
            command += ["--logfile", str(node / "redis.log")]
            self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def _wait(self, port: int, check: Callable[[redis.Redis], bool], what: str) -> None:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + START_SECONDS
        try:
            while True:
                if any(process.poll() is not None for process in self.processes):
                    raise NodeExited(self._logs())
                try:
                    if check(client):
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"node {port} did not {what} within {START_SECONDS} s")
                time.sleep(0.05)  # start-up polling, not a timed assertion
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM every node and wait."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=20)
        self.processes = []

    def _logs(self) -> str:
        logs = sorted(self.directory.glob(f"{self._attempt}-*/redis.log"))
        return "\n".join(log.read_text(errors="replace") for log in logs)


class NodeExited(Exception):
    """A node stopped during start-up; `log` is what the nodes logged."""

    def __init__(self, log: str) -> None:
        super().__init__("a cluster node exited")
        self.log = log


def _distinct_ports(masters: int) -> list[tuple[int, int]]:
    """A client port and a bus port per node, all different (the default bus port, port + 10000, may be taken)."""
    chosen: set[int] = set()
    while len(chosen) < 2 * masters:
        chosen.add(free_port())
    ports = sorted(chosen)
    return [(ports[2 * i], ports[2 * i + 1]) for i in range(masters)]


def _cluster_ok(client: redis.Redis) -> bool:
    info = client.cluster("INFO")  # parsed into a dict by redis-py
    return bool(info.get("cluster_state") == "ok") if isinstance(info, dict) else b"cluster_state:ok" in info
