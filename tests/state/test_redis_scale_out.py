"""Two hosts on one Redis: two gunicorn instances, 2 workers each, share everything a test steers.

Failure rules, the journal, step mode, forced states, prompts, job plans (and so
scenarios), the clock and resets are each set through one host and checked through the
other (and through whichever worker answers), on one Redis and on a 3-master Redis Cluster.
Last, Redis is killed mid-run: requests get a JSON 503 with Retry-After, no worker dies,
and the mock works again once Redis is back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from mockserver.contract import Settings
from mockserver.contract.jobs.lifecycle import FAILURE_CODE
from pytest_plugin import VideoServer
from pytest_plugin.strategies import JobEnd, Scenario, scenarios
from tests.support.contract_checks import assert_conforms
from tests.support.gunicorn_hosts import Host, gunicorn_host
from tests.support.redis_cluster import REDIS_CLI, RedisCluster
from tests.support.redis_server import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-hosts"}
MODEL = "viduq3t-720p"
DEADLINE_SECONDS = 30.0
Hosts = tuple[str, str]


def _shared(url: str, **settings: str) -> dict[str, str]:
    """Settings every process of one mock shares: the state, its prefix, the id-signing secret."""
    prefix = f"hosts-{uuid.uuid4().hex[:8]}:"
    return {"state": url, "state_prefix": prefix, "secret": "two-hosts-secret", "quiet": "true", **settings}


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A real 3-master Redis Cluster on loopback ports for this module."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        pytest.skip("redis-server and redis-cli are not installed (CI installs redis-server with apt-get)")
    cluster = RedisCluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="module", params=["redis", "cluster"])
def state_url(request: pytest.FixtureRequest) -> str:
    """Every shared-state check runs on one Redis and on a Redis Cluster."""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url
    cluster: RedisCluster = request.getfixturevalue("redis_cluster")
    return cluster.url


def two_hosts(shared: dict[str, str]) -> Iterator[Hosts]:
    """Two gunicorn instances, 2 workers each, on the same shared settings."""
    with gunicorn_host(2, **shared) as first, gunicorn_host(2, **shared) as second:
        yield first.url, second.url


@pytest.fixture(scope="module")
def step_shared(state_url: str) -> dict[str, str]:
    return _shared(state_url, lifecycle="step")


@pytest.fixture(scope="module")
def step_hosts(step_shared: dict[str, str]) -> Iterator[Hosts]:
    yield from two_hosts(step_shared)


@pytest.fixture
def video_mock_settings(step_shared: dict[str, str]) -> Settings:
    """`video_server` on the hosts' Redis and prefix: its control steers them too."""
    return Settings().with_updates(**{name: value for name, value in step_shared.items() if name != "quiet"})


@pytest.fixture(scope="module")
def time_hosts(state_url: str) -> Iterator[Hosts]:
    yield from two_hosts(_shared(state_url, lifecycle="time", queued_seconds="1000", running_seconds="1000"))


@pytest.fixture
def hosts(step_hosts: Hosts) -> Hosts:
    """The step-mode pair, reset (through the first host) before each test."""
    assert requests.post(step_hosts[0] + "/__mock/reset", json={}, timeout=10).status_code == 200
    return step_hosts


def _create(url: str, prompt: str = "a lighthouse", **headers: str) -> requests.Response:
    body = {"model": MODEL, "prompt": prompt}
    return requests.post(url + "/v1/video/generations", json=body, headers={**AUTH, **headers}, timeout=10)


def _created(url: str) -> str:
    response = _create(url)
    assert response.status_code == 200, response.text
    task_id: str = assert_conforms(200, response.content)["id"]
    return task_id


def _poll(url: str, task_id: str) -> dict[str, Any]:
    response = requests.get(f"{url}/v1/video/generations/{task_id}", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = assert_conforms(200, response.content)
    return job


def _admin(url: str, method: str, path: str, body: Any = None) -> Any:
    if body is None and method != "GET":
        body = {}  # admin writes are JSON (the cross-site check)
    response = requests.request(method, f"{url}/__mock/{path}", json=body, timeout=10)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_failure_rules_are_used_up_once_in_order_across_hosts_and_workers(hosts: Hosts) -> None:
    first, second = hosts
    _admin(first, "POST", "failures", {"error": "503", "times": 5})
    _admin(second, "POST", "failures", {"error": "429", "times": 3})
    # Concurrent creates through both hosts: several workers answer, each rule fires exactly its times.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: _create(hosts[n % 2], Prefer="delay=20"), range(16)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == sorted([503] * 5 + [429] * 3 + [200] * 8)
    assert len({answer.headers["x-mock-worker"] for answer in answers}) >= 3
    assert _admin(second, "GET", "failures") == {"rules": []}
    # In queue order, whichever host asks.
    _admin(second, "POST", "failures", {"error": "500"})
    _admin(first, "POST", "failures", {"error": "429"})
    assert [_create(hosts[n % 2]).status_code for n in range(3)] == [500, 429, 200]


def test_the_journal_is_complete_and_ordered_on_every_host(hosts: Hosts) -> None:
    prompts = [f"take {n}" for n in range(12)]
    for number, prompt in enumerate(prompts):  # one after another: the journal's order is known
        assert _create(hosts[number % 2], prompt).status_code == 200
    with ThreadPoolExecutor(4) as pool:  # and read back through several workers of both hosts
        journals = list(pool.map(lambda n: _admin(hosts[n % 2], "GET", "journal")["entries"], range(8)))
    for entries in journals:
        assert [entry["seq"] for entry in entries] == list(range(1, 13))
        assert [entry["body"]["prompt"] for entry in entries] == prompts
        assert all(entry["headers"]["authorization"] == "Bearer [redacted]" for entry in entries)
    _admin(hosts[1], "DELETE", "journal")
    assert _admin(hosts[0], "GET", "journal") == {"entries": []}


def test_a_step_task_moves_once_per_poll_whichever_host_answers(hosts: Hosts) -> None:
    first, second = hosts
    task_id = _created(first)
    assert _poll(second, task_id)["status"] == "in_progress"
    assert _poll(first, task_id)["status"] == "completed"
    # Two polls at the same moment on different hosts still count as two.
    for _ in range(5):
        task_id = _created(second)
        with ThreadPoolExecutor(2) as pool:
            jobs = list(pool.map(_poll, hosts, [task_id] * 2))
        assert sorted(job["status"] for job in jobs) == ["completed", "in_progress"]
        assert _admin(first, "GET", f"tasks/{task_id}")["status"] == "completed"


def test_forced_states_apply_on_every_host(hosts: Hosts) -> None:
    first, second = hosts
    failing, stalled = _created(first), _created(first)
    assert _admin(second, "POST", f"tasks/{failing}", {"status": "failed"})["status"] == "failed"
    assert _admin(second, "POST", f"tasks/{stalled}", {"action": "stall"})["status"] == "in_progress"
    job = _poll(first, failing)
    assert (job["status"], job["error"]["code"]) == ("failed", FAILURE_CODE)
    for number in range(3):
        assert _poll(hosts[number % 2], stalled)["status"] == "in_progress"
    backwards = requests.post(f"{first}/__mock/tasks/{failing}", json={"status": "queued"}, timeout=10)
    assert (backwards.status_code, backwards.json()["error"]["code"]) == (409, "invalid_state_transition")


def test_clock_moves_apply_on_every_host(time_hosts: Hosts) -> None:
    first, second = time_hosts
    _admin(first, "POST", "reset")
    task_id = _created(first)
    assert _poll(second, task_id)["status"] == "queued"
    before = _admin(first, "GET", "clock")["now"]
    _admin(second, "POST", "clock", {"advance": 1500})
    assert _admin(first, "GET", "clock")["now"] >= before + 1500
    job = _poll(first, task_id)
    assert job["status"] == "in_progress" and 40 <= job["progress"] <= 60
    _admin(first, "POST", "clock", {"advance": 600})
    job = _poll(second, task_id)
    assert job["status"] == "completed" and job["completed_at"] == job["created_at"] + 2000
    # A reset rewinds the clock everywhere and the old task is gone on both hosts.
    _admin(second, "POST", "reset")
    assert _admin(first, "GET", "clock")["now"] < before + 1500
    for url in time_hosts:
        gone = requests.get(f"{url}/v1/video/generations/{task_id}", headers=AUTH, timeout=10)
        assert gone.status_code == 404


def test_a_reset_through_one_host_clears_everything_on_the_other(hosts: Hosts) -> None:
    first, second = hosts
    task_id = _created(first)
    _admin(first, "POST", "failures", {"error": "503", "times": 3})
    _admin(second, "POST", "reset")
    assert _admin(first, "GET", "journal") == {"entries": []}
    assert _admin(first, "GET", "failures") == {"rules": []}
    gone = requests.get(f"{first}/v1/video/generations/{task_id}", headers=AUTH, timeout=10)
    assert gone.status_code == 404
    assert _create(first).status_code == 200  # no rule left to fire
    assert [entry["seq"] for entry in _admin(second, "GET", "journal")["entries"]] == [1, 2]


def test_a_prompt_is_read_on_another_worker_and_instance(hosts: Hosts) -> None:
    first, second = hosts
    prompts = [f"a lighthouse at dusk, take {n}, " + "waves " * n * 40 for n in range(4)]
    ids = [_created_with(first, prompt) for prompt in prompts]
    with ThreadPoolExecutor(4) as pool:  # several workers of the other host, and of the first
        jobs = list(pool.map(lambda n: _poll(hosts[1 - n % 2], ids[n % 4]), range(8)))
    assert [job["prompt"] for job in jobs] == [prompts[n % 4] for n in range(8)]
    assert _poll(second, ids[0])["prompt"] == prompts[0]


def _created_with(url: str, prompt: str) -> str:
    response = _create(url, prompt)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def test_a_job_plan_is_honoured_across_instances(hosts: Hosts) -> None:
    first, second = hosts
    _admin(first, "POST", "jobs", {"outcome": "fail", "polls": 3})
    _admin(second, "POST", "jobs", {"outcome": "stall"})
    assert _admin(second, "GET", "jobs")["plans"] == [{"outcome": "fail", "polls": 3}, {"outcome": "stall", "polls": 2}]
    failing, stalled, normal = _created(second), _created(first), _created(second)
    assert _admin(first, "GET", "jobs") == {"plans": []}
    statuses = [_poll(hosts[n % 2], failing)["status"] for n in range(4)]
    assert statuses == ["in_progress", "in_progress", "failed", "failed"]
    assert _poll(first, failing)["error"]["code"] == FAILURE_CODE
    assert [_poll(hosts[n % 2], stalled)["status"] for n in range(4)] == ["in_progress"] * 4
    assert [_poll(hosts[n % 2], normal)["status"] for n in range(2)] == ["in_progress", "completed"]
    listed = {task["id"]: task["outcome"] for task in _admin(first, "GET", "tasks")["tasks"]}
    assert (listed[failing], listed[stalled], listed[normal]) == ("fail", "stall", "succeed")


RETRYABLE = {429, 500, 502, 503, 504}


def _careful(call: Callable[[], requests.Response]) -> dict[str, Any]:
    for _ in range(4):  # more attempts than a scenario has misbehaving steps
        answer = call()
        if answer.status_code not in RETRYABLE:
            assert answer.status_code == 200, answer.text
            job: dict[str, Any] = answer.json()
            return job
    raise AssertionError("giving up after 4 attempts")


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=20)
# No cap: a scenario's cap is a setting of the process it is played in, and the hosts here are others.
@given(
    scenarios(
        errors=["429", "500", "503"], faults=(), max_delay_ms=0, endpoints=["create", "poll"], max_token_concurrency=0
    )
)
def test_scenarios_play_across_instances_as_in_memory(
    video_server: VideoServer, step_hosts: Hosts, scenario: Scenario
) -> None:
    with video_server.play(scenario):  # queued through video_server's control, acted out by the two hosts
        job = _careful(lambda: _create(step_hosts[0]))
        task_id, polls = job["id"], list[str]()
        while len(polls) < 6 and job["status"] not in ("completed", "failed"):
            url = f"{step_hosts[len(polls) % 2]}/v1/video/generations/{task_id}"
            job = _careful(partial(requests.get, url, headers=AUTH, timeout=10))
            polls.append(job["status"])
    end = scenario.jobs[0] if scenario.jobs else JobEnd()
    if end.outcome == "stall":
        assert polls == ["in_progress"] * 6
    else:
        assert polls == ["in_progress"] * (end.polls - 1) + [{"succeed": "completed", "fail": "failed"}[end.outcome]]
    assert video_server.task(task_id).outcome == end.outcome


def _until(check: Callable[[], bool], what: str) -> None:
    """Retry `check` until it holds, for at most `DEADLINE_SECONDS`."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {DEADLINE_SECONDS} s"
        time.sleep(0.05)


def test_redis_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        with gunicorn_host(2, state=redis.url, secret="outage-secret", quiet="true") as host:
            _check_outage(host, redis)
    finally:
        redis.stop()


def _check_outage(host: Host, redis: RedisServer) -> None:
    workers = host.workers()
    assert len(workers) == 2
    task_id = _created(host.url)
    _admin(host.url, "POST", "failures", {"error": "429"})
    redis.kill()
    calls: list[Callable[[], requests.Response]] = [
        lambda: _create(host.url),
        lambda: requests.get(f"{host.url}/v1/video/generations/{task_id}", headers=AUTH, timeout=10),
        lambda: requests.get(f"{host.url}/__mock/journal", timeout=10),
        lambda: requests.post(f"{host.url}/__mock/failures", json={"error": "503"}, timeout=10),
        lambda: requests.post(f"{host.url}/__mock/reset", json={}, timeout=10),
    ]
    for call in calls * 3:  # several times each, so every worker meets the outage
        answer = call()
        assert answer.status_code == 503, answer.text
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["error"]["code"] == "state_unavailable"
        assert int(answer.headers["Retry-After"]) >= 1
    redis.start()  # empty again: no persistence, like a replaced Redis
    _until(lambda: _create(host.url).status_code == 200, "creates succeed again")
    _admin(host.url, "POST", "failures", {"error": "503", "times": 2})
    assert [_create(host.url).status_code for _ in range(3)] == [503, 503, 200]
    assert host.master.poll() is None and host.workers() == workers  # no worker died or was replaced
