"""The per-token concurrency cap (new-api's TokenConcurrencyGate): a second create while the first task is in
flight gets the 429; once the first reaches a final state it counts no more. In process, on the live fixture
through the admin API, and across two gunicorn workers on one Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import requests

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.contract.jobs.ids import owner_fingerprint
from pytest_plugin import VideoAPI, VideoServer
from tests.support.gunicorn_hosts import gunicorn_host
from tests.support.redis_server import RedisServer

API_BASE = "https://video-gateway.example.test"
AUTH = {"Authorization": "Bearer sk-first"}
BODY = {"model": "viduq3p-720p", "prompt": "a fox"}
DIALECTS = [
    pytest.param(d, marks=pytest.mark.video_api(base_url=API_BASE, dialect=d, token_concurrency=1), id=d)
    for d in GATEWAY_DIALECTS
]


def refused_as_new_api_refuses(answer: Any, dialect: str) -> None:
    """new-api's 429 (middleware/token_concurrency.go, abortWithOpenAiMessage), or ours in the uniall dialect."""
    assert answer.status_code == 429
    error = answer.json()["error"]
    assert error["code"] == "token_concurrency_limit_reached"
    if dialect == "new-api":
        assert error["type"] == "new_api_error"
        assert error["message"] == f"token_concurrency_limit_reached (request id: {answer.headers['x-request-id']})"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_second_create_waits_for_the_first_task_to_finish(video_api: VideoAPI, dialect: str) -> None:
    with httpx.Client(base_url=API_BASE) as client:
        first = client.post("/v1/video/generations", json=BODY, headers=AUTH).json()["id"]
        refused_as_new_api_refuses(client.post("/v1/videos", json=BODY, headers=AUTH), dialect)
        # Another token has its own count.
        assert client.post("/v1/video/generations", json=BODY, headers={"Authorization": "Bearer b"}).status_code == 200
        assert client.get(f"/v1/videos/{first}", headers=AUTH).json()["status"] == "in_progress"
        refused_as_new_api_refuses(client.post("/v1/video/generations", json=BODY, headers=AUTH), dialect)
        assert client.get(f"/v1/videos/{first}", headers=AUTH).json()["status"] == "completed"
        second = client.post("/v1/video/generations", json=BODY, headers=AUTH)
        assert second.status_code == 200
        # A task that fails stops counting too.
        video_api.fail(second.json()["id"])
        assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == 200
    refused = video_api.assert_requested(2, endpoint="create", status=429)
    assert all(entry.task_id is None for entry in refused)


def test_the_admin_api_sets_the_cap_on_the_live_fixture(video_server: VideoServer) -> None:
    with httpx.Client(base_url=video_server.url) as client:
        assert client.get("/__mock/concurrency").json() == {"per_token": 0, "holders": []}
        for _ in range(3):  # no cap by default
            assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == 200
        assert client.put("/__mock/concurrency", json={"per_token": 2}).json() == {"per_token": 2}
        # Tasks created while there was no cap are not counted: two more get through, then the 429.
        for expected in (200, 200, 429):
            assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == expected
        assert client.put("/__mock/concurrency", json={"per_token": "3"}).status_code == 400
        assert client.put("/__mock/concurrency", json={"per_token": 0}).json() == {"per_token": 0}
        assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == 200


def test_the_admin_api_shows_the_slots_each_token_holds_by_fingerprint(video_server: VideoServer) -> None:
    secret = video_server.engine.settings.secret
    first, other = owner_fingerprint(secret, "sk-first"), owner_fingerprint(secret, "sk-other")
    with httpx.Client(base_url=video_server.url) as client:
        assert client.put("/__mock/concurrency", json={"per_token": 2}).status_code == 200
        created = [client.post("/v1/video/generations", json=BODY, headers=AUTH).json()["id"] for _ in range(2)]
        client.post("/v1/video/generations", json=BODY, headers={"Authorization": "Bearer sk-other"})
        assert client.post("/v1/video/generations", json=BODY, headers=AUTH).status_code == 429  # holds nothing
        shown = client.get("/__mock/concurrency")
        assert shown.json() == {
            "per_token": 2,
            "holders": sorted(
                [{"fingerprint": first, "held": 2}, {"fingerprint": other, "held": 1}],
                key=lambda h: str(h["fingerprint"]),
            ),
        }
        assert "sk-first" not in shown.text and "sk-other" not in shown.text  # fingerprints, never tokens
        video_server.complete(created[0])  # a final task holds no slot
        holders = client.get("/__mock/concurrency").json()["holders"]
        assert {h["fingerprint"]: h["held"] for h in holders} == {first: 1, other: 1}
        assert client.put("/__mock/concurrency", json={"per_token": 0}).status_code == 200
        assert client.get("/__mock/concurrency").json() == {"per_token": 0, "holders": []}  # no cap: nothing counted
    # Reading it changed nothing the tests see: only the four creates are journaled.
    assert [e.endpoint for e in video_server.journal] == ["create"] * 4


def test_the_cap_holds_across_two_gunicorn_workers_on_redis(redis_server: RedisServer) -> None:
    # Two gunicorn instances of one worker each: every request to the second is answered by another process.
    shared = {"state": redis_server.url, "lifecycle": "step", "token_concurrency": "1", "secret": "concurrency-test"}
    with (
        gunicorn_host(1, state_prefix="concurrency:", **shared) as one,
        gunicorn_host(1, state_prefix="concurrency:", **shared) as two,
    ):

        def create(url: str) -> requests.Response:
            return requests.post(f"{url}/v1/video/generations", json=BODY, headers=AUTH, timeout=10)

        first = create(one.url)
        assert first.status_code == 200
        refused = create(two.url)
        assert refused.status_code == 429
        assert refused.headers["x-mock-worker"] != first.headers["x-mock-worker"]
        task_id = first.json()["id"]
        for _ in range(2):  # the task completes, polled through the other worker
            assert requests.get(f"{two.url}/v1/videos/{task_id}", headers=AUTH, timeout=10).status_code == 200
        # Creates at once through both workers: exactly one takes the freed slot.
        with ThreadPoolExecutor(4) as pool:
            after = list(pool.map(create, [one.url, two.url] * 4))
        assert sorted(answer.status_code for answer in after) == [200] + [429] * 7
        # Either worker shows the one slot held, under the token's fingerprint.
        for url in (one.url, two.url):
            shown = requests.get(f"{url}/__mock/concurrency", timeout=10).json()
            assert shown == {
                "per_token": 1,
                "holders": [{"fingerprint": owner_fingerprint("concurrency-test", "sk-first"), "held": 1}],
            }
