"""Scale-out under gunicorn: any worker process serves a task another one created, even after a kill."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.contract_checks import assert_conforms
from tests.support.gunicorn_hosts import gunicorn_host

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

WORKERS = 4
AUTH = {"Authorization": "Bearer sk-scale"}
BODY = {"model": "viduq3t-720p", "prompt": "a lighthouse at dusk"}


@pytest.fixture(scope="module")
def gunicorn_url() -> Iterator[str]:
    # Jobs finish at once, so polls show the final state without waiting.
    with gunicorn_host(WORKERS, queued_seconds="0", running_seconds="0", secret="scale-out-test-secret") as host:
        yield host.url


def _create(url: str, **headers: str) -> tuple[str, str]:
    response = requests.post(url + "/v1/video/generations", json=BODY, headers={**AUTH, **headers}, timeout=10)
    assert response.status_code == 200, response.text
    return assert_conforms(200, response.content)["id"], response.headers["x-mock-worker"]


def _poll(url: str, task_id: str) -> tuple[dict[str, object], str]:
    response = requests.get(f"{url}/v1/video/generations/{task_id}", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    return assert_conforms(200, response.content), response.headers["x-mock-worker"]


def test_tasks_created_by_one_worker_are_polled_through_others(gunicorn_url: str) -> None:
    # Concurrent clients keep several sync workers busy at once, so the kernel cannot hand
    # every connection to one idle worker (sequential requests sometimes all land on one).
    with ThreadPoolExecutor(8) as pool:
        # A 50 ms injected delay holds each sync worker, so concurrent creates must spread out.
        created = list(pool.map(lambda _: _create(gunicorn_url, Prefer="delay=50"), range(40)))
        failing = list(pool.map(lambda _: _create(gunicorn_url, Prefer="job=fail, delay=50"), range(10)))
        polled = list(pool.map(lambda made: _poll(gunicorn_url, made[0]), created + failing))
    crossed = 0
    for (task_id, creator), (job, poller) in zip(created + failing, polled, strict=True):
        assert job["status"] == ("failed" if (task_id, creator) in failing else "completed")
        crossed += poller != creator
    assert len({worker for _, worker in created}) > 1, "every request reached one worker; the test proves nothing"
    assert crossed > 0
    # The video link works through whichever worker answers it.
    job, _ = _poll(gunicorn_url, created[0][0])
    video = requests.get(str(job["video_url"]), timeout=10)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_another_token_still_cannot_see_the_task_on_any_worker(gunicorn_url: str) -> None:
    task_id, _ = _create(gunicorn_url)
    for _ in range(8):
        response = requests.get(
            f"{gunicorn_url}/v1/video/generations/{task_id}", headers={"Authorization": "Bearer sk-other"}, timeout=10
        )
        assert response.status_code == 404


def test_killing_a_worker_loses_no_task(gunicorn_url: str) -> None:
    tasks = [_create(gunicorn_url) for _ in range(20)]
    victim = int(tasks[0][1])
    os.kill(victim, signal.SIGKILL)
    for task_id, _ in tasks:  # a poll that hits the replacement worker must still find the task
        for attempt in range(3):
            try:
                job, worker = _poll(gunicorn_url, task_id)
                break
            except requests.ConnectionError:
                # A connection accepted by the killed worker just before it died; clients retry these.
                assert attempt < 2
        assert job["status"] == "completed" and worker != str(victim)
    assert _create(gunicorn_url)[1] != str(victim)
