"""README's "Scale out" section, run as written: gunicorn on memory state, then Redis + gunicorn + a second host.

Ports are swapped for free ones and every server runs from a temporary folder; otherwise
the commands and the statuses the curl lines claim are the README's.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.markdown_examples import ROOT, code_blocks
from tests.support.redis_server import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

SECTION = "## Scale out"
BIN = Path(sys.executable).parent
START_SECONDS = 60.0


def _section_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    return [b.text for b in code_blocks(ROOT / "README.md", language="bash") if start < readme.index(b.text) < end]


def _lines(block: str) -> list[tuple[str, str]]:
    """(command, comment) per line; a comment is what follows `   #`."""
    pairs = []
    for line in block.splitlines():
        command, _, comment = line.partition("   #")
        pairs.append((command.strip(), comment.strip()))
    return pairs


def _until_ready(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, f"{what} exited during start-up"
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            assert time.monotonic() < deadline, f"{what} did not start within {START_SECONDS} s"
            time.sleep(0.05)  # start-up polling, not a timed assertion


@contextmanager
def _run(command: str, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` (leading NAME=value words become its environment) and stop it after."""
    words = shlex.split(command)
    env = dict(os.environ)
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if (BIN / words[0]).exists():
        words[0] = str(BIN / words[0])
    process = subprocess.Popen(words, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _curl(command: str) -> tuple[int, str]:
    result = subprocess.run(
        ["bash", "-c", command + " -w '\\n%{http_code}'"], capture_output=True, text=True, timeout=30
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def test_the_section_shows_every_setup() -> None:
    memory, redis, cluster = _section_blocks()
    assert "redis+cluster://" in cluster and "redis-cli --cluster create" in cluster
    assert "gunicorn --workers 4" in memory and "VIDU_MOCK_STATE" not in memory
    starts = [command.split()[0] for command, _ in _lines(redis)[:3]]
    assert starts == ["redis-server", "VIDU_MOCK_SECRET=change-me", "VIDU_MOCK_SECRET=change-me"]


def test_gunicorn_on_memory_state_refuses_admin_writes_and_per_worker_reads(tmp_path: Path) -> None:
    (command, comment), *_ = _lines(_section_blocks()[0])
    assert "writes and per-worker reads answer 409" in comment
    port = free_port()
    with _run(command.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), tmp_path) as process:
        url = f"http://127.0.0.1:{port}"
        _until_ready(url + "/__mock/config", process, "gunicorn")
        refused = requests.post(url + "/__mock/failures", json={"error": "503"}, timeout=10)
        assert refused.status_code == 409 and refused.headers["Content-Type"] == "application/json"
        error = refused.json()["error"]
        assert error["code"] == "state_not_shared" and "--state redis://" in error["message"]
        assert requests.post(url + "/__mock/reset", json={}, timeout=10).status_code == 409
        assert requests.get(url + "/__mock/journal", timeout=10).status_code == 409
        assert requests.get(url + "/__mock/config", timeout=10).status_code == 200


def test_redis_gunicorn_and_a_second_host_share_one_mock(tmp_path: Path) -> None:
    ports = {"6379": str(free_port()), "8000": str(free_port()), "8001": str(free_port())}
    lines = _lines(_section_blocks()[1])
    servers, curls = lines[:3], lines[3:]

    def local(text: str) -> str:
        return re.sub(r"\b(6379|8000|8001)\b", lambda match: ports[match.group(1)], text)

    with ExitStack() as stack:
        redis_cmd, gunicorn_cmd, second_cmd = (local(command) for command, _ in servers)
        redis = stack.enter_context(_run(redis_cmd, tmp_path))
        _wait_for_redis(int(ports["6379"]), redis)
        for command, name in ((gunicorn_cmd, "8000"), (second_cmd, "8001")):
            process = stack.enter_context(_run(command, tmp_path))
            _until_ready(f"http://127.0.0.1:{ports[name]}/__mock/config", process, f"the host on {name}")
        assert curls and all(comment.startswith("-> ") for _, comment in curls)
        for command, comment in curls:
            status, body = _curl(local(command))
            assert status == int(comment.removeprefix("-> ")), f"{command}\n{body}"
        entries = requests.get(f"http://127.0.0.1:{ports['8001']}/__mock/journal", timeout=10).json()["entries"]
        assert [entry["status"] for entry in entries] == [503, 503, 200]


def _wait_for_redis(port: int, process: subprocess.Popen[bytes]) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            assert process.poll() is None, "redis-server exited during start-up"
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)  # start-up polling, not a timed assertion
    finally:
        client.close()


def _cluster_ports() -> list[int]:
    """Three free ports whose cluster bus ports (port + 10000, Redis' default) are free too."""
    ports: list[int] = []
    while len(ports) < 3:
        port = free_port()
        if port + 10000 < 65536 and port not in ports and _free(port + 10000):
            ports.append(port)
    return ports


def _free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_redis_cluster_shares_one_mock(tmp_path: Path) -> None:
    import redis

    lines = _lines(_section_blocks()[2])
    (node_cmd, node_comment), (create_cmd, _), (gunicorn_cmd, _) = lines[:3]
    assert node_comment == "and 7002, 7003 alike"
    nodes = _cluster_ports()
    ports = {"7001": str(nodes[0]), "7002": str(nodes[1]), "7003": str(nodes[2]), "8000": str(free_port())}

    def local(text: str) -> str:
        return re.sub(r"\b(700[123]|8000)\b", lambda match: ports[match.group(1)], text)

    with ExitStack() as stack:
        for name in ("7001", "7002", "7003"):
            node = stack.enter_context(_run(local(node_cmd.replace("7001", name)), tmp_path))
            _wait_for_redis(int(ports[name]), node)
        subprocess.run(shlex.split(local(create_cmd)), check=True, capture_output=True, timeout=60)
        for name in ("7001", "7002", "7003"):
            client = redis.Redis(host="127.0.0.1", port=int(ports[name]), socket_timeout=1)
            deadline = time.monotonic() + START_SECONDS
            while client.cluster("INFO").get("cluster_state") != "ok":
                assert time.monotonic() < deadline, "the cluster did not come up"
                time.sleep(0.05)  # start-up polling, not a timed assertion
            client.close()
        process = stack.enter_context(_run(local(gunicorn_cmd), tmp_path))
        _until_ready(f"http://127.0.0.1:{ports['8000']}/__mock/config", process, "gunicorn")
        for command, comment in lines[3:]:
            status, body = _curl(local(command))
            assert status == int(comment.removeprefix("-> ")), f"{command}\n{body}"
        tasks = requests.get(f"http://127.0.0.1:{ports['8000']}/__mock/tasks", timeout=10).json()["tasks"]
        assert [task["outcome"] for task in tasks] == ["fail"]  # the plan, taken on the cluster
