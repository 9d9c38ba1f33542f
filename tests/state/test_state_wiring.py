"""Choosing the state backend, and what the server answers when it cannot use it.

In-memory state under a multi-process server refuses admin writes (409); a Redis that is
down or too slow makes every request a JSON 503 with Retry-After, never a traceback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver.contract import Settings
from mockserver.contract.state.memory import MemoryState
from mockserver.dashboard.page import PER_WORKER_ROW
from mockserver.live.app import create_app
from mockserver.state.backends import open_state
from mockserver.state.redis_state import RedisState
from tests.support.redis_server import RedisServer, free_port

AUTH = {"Authorization": "Bearer sk-wiring"}
BODY = {"model": "viduq3p-720p", "prompt": "a fox"}
MULTIPROCESS = {"wsgi.multiprocess": True}


def test_memory_is_the_default_and_redis_urls_open_redis_state() -> None:
    assert isinstance(open_state(Settings()), MemoryState)
    state = open_state(Settings(state="redis://127.0.0.1:6390/3", state_prefix="ci-7:"))
    assert isinstance(state, RedisState) and state.prefix == "ci-7:"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"state": "memcached://127.0.0.1"}, "state must be 'memory' or a redis://, rediss://, unix://, redis"),
        ({"state": "redis+cluster://"}, "state must name a host"),
        ({"state": "redis://"}, "state must name a host"),
        ({"state_prefix": ""}, "state_prefix must be 1 to 100 characters"),
        ({"state_prefix": "has space:"}, "state_prefix must be 1 to 100 characters"),
        ({"state_prefix": "a{b}:"}, "no spaces or braces"),
    ],
)
def test_bad_state_settings_are_one_clear_line(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Settings().with_updates(**changes)


def test_the_config_view_withholds_the_redis_password() -> None:
    public = Settings(state="redis://:hunter2@10.1.2.3:6379/0").public()
    assert public["state"] == "redis://:[redacted]@10.1.2.3:6379/0" and public["state_prefix"] == "vidu-mock:"


@pytest.fixture
def client() -> FlaskClient:
    return create_app(Settings()).test_client()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/__mock/failures", {"error": "503"}),
        ("DELETE", "/__mock/failures", {}),
        ("DELETE", "/__mock/journal", {}),
        ("POST", "/__mock/reset", {}),
        ("POST", "/__mock/clock", {"advance": 5}),
    ],
)
def test_memory_state_under_a_multiprocess_server_refuses_admin_writes(
    client: FlaskClient, method: str, path: str, body: Any
) -> None:
    refused = client.open(path, method=method, json=body, environ_overrides=MULTIPROCESS)
    assert refused.status_code == 409 and refused.content_type == "application/json"
    error = refused.get_json()["error"]
    assert error["code"] == "state_not_shared" and "--state redis://" in error["message"]
    assert client.get("/__mock/failures").get_json() == {"rules": []}  # nothing changed
    # One process: the same write is fine.
    assert client.open(path, method=method, json=body).status_code in (200, 201)


def test_a_task_action_under_a_multiprocess_server_is_refused_too(client: FlaskClient) -> None:
    task_id = client.post("/v1/video/generations", json=BODY, headers=AUTH).get_json()["id"]
    refused = client.post(f"/__mock/tasks/{task_id}", json={"action": "complete"}, environ_overrides=MULTIPROCESS)
    assert refused.status_code == 409
    assert client.get(f"/__mock/tasks/{task_id}").get_json()["status"] == "queued"


@pytest.mark.parametrize(
    "path", ["/__mock/journal", "/__mock/tasks", "/__mock/failures", "/__mock/jobs", "/__mock/tasks/{task_id}"]
)
def test_memory_state_under_a_multiprocess_server_refuses_reads_of_one_workers_part(
    client: FlaskClient, path: str
) -> None:
    task_id = client.post("/v1/video/generations", json=BODY, headers=AUTH).get_json()["id"]
    refused = client.get(path.format(task_id=task_id), environ_overrides=MULTIPROCESS)
    assert refused.status_code == 409 and refused.content_type == "application/json"
    error = refused.get_json()["error"]
    assert error["code"] == "state_not_shared" and "--state redis://" in error["message"]
    assert "show one worker's part only" in error["message"]
    assert client.get(path.format(task_id=task_id)).status_code == 200  # one process: the same read answers


def test_reads_that_are_the_same_on_every_worker_still_answer(client: FlaskClient) -> None:
    config = client.get("/__mock/config", environ_overrides=MULTIPROCESS)
    assert config.status_code == 200 and config.get_json()["state"] == "memory"
    assert client.get("/__mock/clock", environ_overrides=MULTIPROCESS).status_code == 200
    page = client.get("/__mock/", environ_overrides=MULTIPROCESS)
    assert page.status_code == 200 and PER_WORKER_ROW in page.get_data(as_text=True)
    assert client.get("/__mock/assets/dashboard.js", environ_overrides=MULTIPROCESS).status_code == 200


@pytest.mark.slow
def test_redis_state_under_a_multiprocess_server_takes_admin_writes(redis_server: RedisServer) -> None:
    app = create_app(Settings(state=redis_server.url, state_prefix="wiring-multi:"))
    client = app.test_client()
    client.post("/__mock/reset", json={}, environ_overrides=MULTIPROCESS)
    assert client.post("/__mock/failures", json={"error": "429"}, environ_overrides=MULTIPROCESS).status_code == 201
    assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == 429


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A port that accepts connections and never answers: a Redis too slow to wait for."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def _assert_state_unavailable(answer: Any) -> None:
    assert answer.status_code == 503 and answer.content_type == "application/json", answer.data[:300]
    assert answer.get_json()["error"]["code"] == "state_unavailable"
    assert int(answer.headers["Retry-After"]) >= 1 and "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("redis", ["down", "silent"])
def test_an_unusable_redis_is_a_json_503_for_api_and_admin_requests(redis: str, silent_redis: int) -> None:
    port = silent_redis if redis == "silent" else free_port()
    client = create_app(Settings(state=f"redis://127.0.0.1:{port}/0")).test_client()
    _assert_state_unavailable(client.post("/v1/video/generations", json=BODY, headers=AUTH))
    _assert_state_unavailable(client.get("/__mock/journal"))
    if redis == "down":  # every kind of request, quickly (a silent Redis costs a timeout each)
        _assert_state_unavailable(client.get("/v1/video/generations/task_AAAA", headers=AUTH))
        _assert_state_unavailable(client.post("/__mock/failures", json={"error": "503"}))
        _assert_state_unavailable(client.post("/__mock/reset", json={}))
        _assert_state_unavailable(client.get("/__mock/clock"))


def test_state_comes_from_flags_the_environment_and_the_config_file(tmp_path: Any) -> None:
    from mockserver.cli import settings_from_args

    config = tmp_path / "mock.toml"
    config.write_text('state = "redis://10.0.0.1:6379/1"\nstate_prefix = "file:"\n', encoding="utf-8")
    from_file = settings_from_args(["--config", str(config)], environ={})
    assert (from_file.state, from_file.state_prefix) == ("redis://10.0.0.1:6379/1", "file:")
    from_env = settings_from_args(["--config", str(config)], environ={"VIDU_MOCK_STATE": "redis://:pw@10.0.0.2/0"})
    assert from_env.state == "redis://:pw@10.0.0.2/0" and "pw" not in repr(from_env)
    from_flag = settings_from_args(
        ["--state", "memory", "--state-prefix", "flag:"], environ={"VIDU_MOCK_STATE": "redis://10.0.0.3/0"}
    )
    assert (from_flag.state, from_flag.state_prefix) == ("memory", "flag:")


def test_redis_state_without_the_redis_package_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "redis", None)  # as if `pip install 'vidu-mock[redis]'` was skipped
    with pytest.raises(ValueError, match=r"pip install 'vidu-mock\[redis\]'"):
        open_state(Settings(state="redis://127.0.0.1:6379/0"))


@pytest.mark.slow
def test_the_cli_waits_for_redis_then_serves_and_its_health_route_follows_the_state(tmp_path: Any) -> None:
    import re
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import requests

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    command = [str(Path(sys.executable).with_name("mockserver")), "--port", "0", "--state", url, "--quiet"]
    # Redis is not there yet: the command waits for it (up to --state-wait) instead of serving 503s.
    process = subprocess.Popen(
        [*command, "--state-wait", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        redis = RedisServer(tmp_path, port).start()
        try:
            banner = process.stdout.readline()
            served = re.search(r"serving (http://\S+)", banner)
            assert served is not None and f"state={url}" in banner, banner
            health = requests.get(served.group(1) + "/__mock/health", timeout=10)
            assert (health.status_code, health.json()) == (200, {"status": "ok"})
            answer = requests.post(served.group(1) + "/v1/video/generations", json=BODY, headers=AUTH, timeout=10)
            assert answer.status_code == 200, answer.text
        finally:
            redis.stop()
        # Gone at run time: the health route says so, so a readiness check notices; requests get 503s.
        health = requests.get(served.group(1) + "/__mock/health", timeout=10)
        assert (health.status_code, health.json()["error"]["code"]) == (503, "state_unavailable")
        assert int(health.headers["Retry-After"]) >= 1
        answer = requests.post(served.group(1) + "/v1/video/generations", json=BODY, headers=AUTH, timeout=10)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "state_unavailable"
        redis = RedisServer(tmp_path, port).start()
        try:
            assert requests.get(served.group(1) + "/__mock/health", timeout=10).status_code == 200
        finally:
            redis.stop()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


@pytest.mark.parametrize("host", ["127.0.0.1", "nosuchhost.invalid"])  # nothing listening; a name never resolved
def test_the_cli_exits_in_one_line_when_the_state_stays_unreachable(host: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    url = f"redis://{host}:{free_port()}/0"
    command = [str(Path(sys.executable).with_name("mockserver")), "--port", "0", "--state", url, "--state-wait", "0.5"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, ""), result
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"mockserver: cannot reach the state at {url}")
    assert "after 0.5 s" in result.stderr and "--state-wait" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_memory_state_under_gunicorn_workers_refuses_reads_of_one_workers_part() -> None:
    import requests

    from tests.support.gunicorn_hosts import gunicorn_host

    with gunicorn_host(2, quiet="true") as host:
        assert requests.post(host.url + "/v1/video/generations", json=BODY, headers=AUTH, timeout=10).status_code == 200
        for path in ("journal", "tasks", "failures", "jobs"):
            refused = requests.get(f"{host.url}/__mock/{path}", timeout=10)
            assert refused.status_code == 409 and refused.headers["Content-Type"] == "application/json", path
            message = refused.json()["error"]["message"]
            assert refused.json()["error"]["code"] == "state_not_shared" and "--state redis://" in message
        assert requests.get(host.url + "/__mock/config", timeout=10).json()["state"] == "memory"
        assert requests.get(host.url + "/__mock/clock", timeout=10).status_code == 200
        page = requests.get(host.url + "/__mock/", timeout=10)
        assert page.status_code == 200 and PER_WORKER_ROW in page.text
