"""The admin API under /__mock/ over real HTTP, and who may use it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mockserver.contract import Settings
from mockserver.live import LiveServer
from mockserver.live.app import create_app
from mockserver.state.redis_state import RedisState
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server
from tests.support.redis_server import RedisServer


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.slow)])
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The server on memory state, and the same on Redis state: the admin API means the same on both."""
    state = None
    if request.param == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        state = RedisState.from_url(redis_server.url, prefix=f"admin-{uuid.uuid4().hex[:8]}:")
    with live_server(state) as started:
        yield started


def admin(server: LiveServer, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
    if body is None and method not in ("GET", "HEAD"):
        body = {}  # a write is JSON, an empty one too (the cross-site check)
    return requests.request(method, f"{server.url}/__mock/{path}", json=body, headers=headers, timeout=5)


def create(server: LiveServer, payload: Any = TEXT) -> requests.Response:
    return requests.post(server.url + CREATE, json=payload, headers=AUTH, timeout=5)


def test_journal_lists_requests_with_the_token_redacted(server: LiveServer) -> None:
    create(server)
    create(server, {"model": "viduq3p-720p"})
    entries = admin(server, "GET", "journal").json()["entries"]
    assert [(e["endpoint"], e["status"]) for e in entries] == [("create", 200), ("create", 400)]
    assert entries[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert "sk-live-test" not in admin(server, "GET", "journal").text
    assert admin(server, "DELETE", "journal").json() == {"entries": []}
    assert admin(server, "GET", "journal").json() == {"entries": []}


def test_queue_failures_matched_on_model_and_mode(server: LiveServer) -> None:
    rule = {"error": "503", "times": 2, "model": "viduq3t-540p", "mode": "text-to-video"}
    assert admin(server, "POST", "failures", rule).status_code == 201
    assert admin(server, "GET", "failures").json()["rules"][0]["times"] == 2
    other_model = create(server)
    assert other_model.status_code == 200
    matching = {"model": "viduq3t-540p", "prompt": "x"}
    assert [create(server, matching).status_code for _ in range(3)] == [503, 503, 200]
    assert admin(server, "GET", "failures").json() == {"rules": []}
    admin(server, "POST", "failures", {"fault": "empty"})
    assert admin(server, "DELETE", "failures").json() == {"rules": []}
    assert create(server).status_code == 200


def test_a_bad_failure_rule_is_a_400(server: LiveServer) -> None:
    response = admin(server, "POST", "failures", {"error": "418"})
    assert response.status_code == 400
    assert_conforms(400, response.content)
    assert admin(server, "POST", "failures", {"colour": "red"}).status_code == 400


@pytest.mark.parametrize(
    ("action", "status"),
    [({"action": "complete"}, "completed"), ({"action": "fail"}, "failed"), ({"action": "stall"}, "in_progress")],
)
def test_force_a_task_state(server: LiveServer, action: dict[str, str], status: str) -> None:
    task_id = create(server).json()["id"]
    forced = admin(server, "POST", f"tasks/{task_id}", action)
    assert forced.status_code == 200 and forced.json()["status"] == status
    polled = requests.get(f"{server.url}{CREATE}/{task_id}", headers=AUTH, timeout=5)
    assert_conforms(200, polled.content)
    assert polled.json()["status"] == status


def test_advance_moves_one_state_and_backwards_is_a_409(server: LiveServer) -> None:
    task_id = create(server).json()["id"]
    assert admin(server, "GET", f"tasks/{task_id}").json()["status"] == "queued"
    assert admin(server, "POST", f"tasks/{task_id}", {"action": "advance"}).json()["status"] == "in_progress"
    assert admin(server, "POST", f"tasks/{task_id}", {"status": "completed"}).json()["status"] == "completed"
    back = admin(server, "POST", f"tasks/{task_id}", {"status": "queued"})
    assert (back.status_code, back.json()["error"]["code"]) == (409, "invalid_state_transition")
    assert admin(server, "POST", "tasks/task_unknown", {"action": "advance"}).status_code == 404


def test_reset_forgets_everything(server: LiveServer) -> None:
    task_id = create(server).json()["id"]
    admin(server, "POST", "failures", {"error": "500"})
    assert admin(server, "POST", "reset").json() == {"reset": True}
    assert admin(server, "GET", "journal").json() == {"entries": []}
    assert admin(server, "GET", "failures").json() == {"rules": []}
    gone = requests.get(f"{server.url}{CREATE}/{task_id}", headers=AUTH, timeout=5)
    assert gone.status_code == 404


def test_config_shows_effective_settings_without_secrets() -> None:
    with live_server(tokens=("sk-secret-1",), admin_token="adm-secret", lifecycle="step") as server:
        config = admin(server, "GET", "config", **{"X-Mock-Admin-Token": "adm-secret"})
        assert config.status_code == 200
        assert config.json()["lifecycle"] == "step"
        assert "sk-secret-1" not in config.text and "adm-secret" not in config.text


def test_clock_can_be_read_and_advanced(server: LiveServer) -> None:
    before = admin(server, "GET", "clock").json()["now"]
    assert admin(server, "POST", "clock", {"advance": 10}).json()["now"] == before + 10
    assert admin(server, "POST", "clock", {"advance": -1}).status_code == 400


def test_admin_token_is_required_when_configured() -> None:
    with live_server(admin_token="adm-secret") as server:
        refused = admin(server, "GET", "journal")
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_forbidden")
        assert_conforms(403, refused.content)
        assert admin(server, "GET", "journal", **{"X-Mock-Admin-Token": "adm-secret"}).status_code == 200


def test_admin_refuses_non_loopback_callers_without_a_token() -> None:
    # The socket server only binds loopback, so a remote caller is simulated at the WSGI layer.
    client = create_app(Settings()).test_client()
    remote = client.get("/__mock/journal", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert (remote.status_code, remote.get_json()["error"]["code"]) == (403, "admin_forbidden")
    local = client.get("/__mock/journal", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200
    with_token = create_app(Settings(admin_token="adm")).test_client()
    allowed = with_token.get(
        "/__mock/journal", environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"X-Mock-Admin-Token": "adm"}
    )
    assert allowed.status_code == 200


def test_unknown_admin_paths_and_methods(server: LiveServer) -> None:
    assert admin(server, "GET", "nothing-here").status_code == 404
    wrong = admin(server, "PUT", "journal")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, HEAD, DELETE"


def test_a_rule_with_after_lets_that_many_through_and_holds_the_rules_behind_it(server: LiveServer) -> None:
    assert admin(server, "POST", "failures", {"error": "503", "after": 2}).json()["after"] == 2
    admin(server, "POST", "failures", {"error": "429"})
    assert admin(server, "GET", "failures").json()["rules"][0]["after"] == 2
    assert [create(server).status_code for _ in range(5)] == [200, 200, 503, 429, 200]
    assert admin(server, "GET", "failures").json() == {"rules": []}


def test_a_content_rule_fails_the_download_of_a_completed_video(server: LiveServer) -> None:
    task_id = create(server).json()["id"]
    admin(server, "POST", f"tasks/{task_id}", {"action": "complete"})
    admin(server, "POST", "failures", {"error": "503", "endpoint": "content", "after": 1})
    content = f"{server.url}{CREATE}/{task_id}/content"
    assert [requests.get(content, timeout=5).status_code for _ in range(3)] == [200, 503, 200]
    journal = admin(server, "GET", "journal").json()["entries"]
    assert [(e["endpoint"], e["status"]) for e in journal if e["endpoint"] == "content"] == [
        ("content", 200),
        ("content", 503),
        ("content", 200),
    ]


def test_job_plans_run_alike_on_memory_and_redis(server: LiveServer) -> None:
    planned = admin(server, "POST", "jobs", {"outcome": "fail", "polls": 1})
    assert planned.status_code == 201
    assert admin(server, "GET", "jobs").json() == {"plans": [{"outcome": "fail", "polls": 1}]}
    task_id = create(server).json()["id"]
    assert admin(server, "GET", "jobs").json() == {"plans": []}
    assert admin(server, "GET", f"tasks/{task_id}").json()["status"] in ("queued", "in_progress", "failed")
    admin(server, "POST", "clock", {"advance": 1000})
    polled = requests.get(f"{server.url}{CREATE}/{task_id}", headers=AUTH, timeout=5)
    assert polled.json()["status"] == "failed"
