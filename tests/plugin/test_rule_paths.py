"""A failure rule's `path` filter: one route of the dialect, matched by the one path classifier.

On every face a user queues rules on: `video_api`, `video_server`, the `mockserver` command's
admin API (a subprocess, on memory and on Redis shared state), in a gateway dialect and in
`vidu`; a path that is no route of the dialect is refused naming the closest one.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.routes.paths import dialect_routes, route_of
from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.pending_rules import describe
from tests.support.commands import running
from tests.support.live_servers import AUTH, CREATE, TEXT
from tests.support.redis_server import RedisServer

FACES = ("video_api", "video_server")
VIDU_AUTH = {"Authorization": "Token vidu-key"}
VIDU_TEXT = {"model": "viduq3-pro", "prompt": "a fox"}


@pytest.mark.parametrize("dialect", ["uniall", "vidu"])
def test_every_route_template_is_the_route_its_paths_are_on(dialect: str) -> None:
    # The list a path is checked against and the classifier requests are matched with agree.
    for template in dialect_routes(dialect):
        assert route_of(template.replace("{task_id}", "task_0123")) == template
        assert route_of(template) == template


@pytest.mark.parametrize("face", FACES)
def test_a_path_rule_fires_on_its_route_only(request: pytest.FixtureRequest, face: str) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    rule = mock.queue_failure(503, path="/v1/videos")
    assert (rule.endpoint, rule.path) == ("create", "/v1/videos")
    mock.queue_failure(502, path="/v1/video/generations/*")  # any task's poll on this route
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=5) as client:
        created = client.post(CREATE, json=TEXT)
        assert created.status_code == 200  # the other create route
        task_id = created.json()["id"]
        assert client.get(f"/v1/videos/{task_id}").status_code == 200  # the other poll route
        assert client.post("/v1/videos", json=TEXT).status_code == 503
        assert client.get(f"/v1/video/generations/{task_id}").status_code == 502
    assert mock.pending_failures == []


@pytest.mark.parametrize("face", FACES)
def test_a_path_that_is_no_route_is_refused_naming_the_closest(request: pytest.FixtureRequest, face: str) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    with pytest.raises(ValueError, match=r"path='/v1/video/generation' .*did you mean '/v1/video/generations'\?"):
        mock.queue_failure(429, path="/v1/video/generation")
    with pytest.raises(ValueError, match=r"did you mean '/v1/videos/\{task_id\}'\?"):
        mock.queue_failure(429, path="/v1/videos/video_123")  # one task's path, not a route
    with pytest.raises(ValueError, match=r"path='/ent/v2/text2video' can never match"):
        mock.queue_failure(429, path="/ent/v2/text2video")  # a route of the vidu dialect only
    with pytest.raises(ValueError, match=r"endpoint='create' .* a poll route: leave endpoint out or pass 'poll'"):
        mock.queue_failure(429, endpoint="create", path="/v1/videos/{video_id}")
    assert mock.pending_failures == []


@pytest.mark.video_api(dialect="vidu")
def test_a_path_rule_in_the_vidu_dialect(video_api: VideoAPI) -> None:
    with pytest.raises(ValueError, match=r"did you mean '/ent/v2/text2video'\?"):
        video_api.queue_failure(429, path="/ent/v2/text2vide")
    with pytest.raises(ValueError, match=r"path='/v1/videos' can never match"):
        video_api.queue_failure(429, path="/v1/videos")  # a gateway route: not served here
    video_api.queue_failure("QuotaExceeded", path="/ent/v2/reference2video/")
    with httpx.Client(base_url=video_api.url, headers=VIDU_AUTH, timeout=5) as client:
        assert client.post("/ent/v2/text2video", json=VIDU_TEXT).status_code == 200
        video_api.queue_failure(502, path="/ent/v2/tasks/{id}/creations")
        assert client.post("/ent/v2/reference2video", json=VIDU_TEXT).status_code == 429
    assert describe(video_api.pending_failures[0]) == (
        "queue_failure('502', endpoint='poll', path='/ent/v2/tasks/{task_id}/creations')"
    )
    video_api.reset()


def test_a_rule_left_pending_is_described_with_its_path() -> None:
    rule = FailureRule("503", path="/v1/videos/{task_id}/content")
    assert describe(rule) == "queue_failure('503', endpoint='content', path='/v1/videos/{task_id}/content')"


def _command_face(url: str) -> None:
    """A path rule over the admin API of a running command: refused on a typo, fired on its route only."""
    with httpx.Client(base_url=url, timeout=10) as client:
        typo = client.post("/__mock/failures", json={"error": 503, "path": "/v1/vidoes"})
        error = typo.json()["error"]
        assert (typo.status_code, error["code"]) == (400, "invalid_value"), typo.text
        assert "did you mean '/v1/videos'?" in error["message"]
        queued = client.post("/__mock/failures", json={"error": 503, "path": "/v1/videos/*/content"})
        assert queued.status_code == 201, queued.text
        assert (queued.json()["endpoint"], queued.json()["path"]) == ("content", "/v1/videos/{task_id}/content")
        task_id = client.post(CREATE, json=TEXT, headers=AUTH).json()["id"]
        assert client.post("/__mock/failures", json={"error": 502, "path": "/v1/videos/{id}"}).status_code == 201
        for _ in range(2):  # the step lifecycle: done on the second poll
            assert client.get(f"{CREATE}/{task_id}", headers=AUTH).status_code == 200
        assert client.get(f"/v1/videos/{task_id}", headers=AUTH).status_code == 502
        assert client.get(f"{CREATE}/{task_id}/content", headers=AUTH).status_code == 200
        assert [rule["path"] for rule in client.get("/__mock/failures").json()["rules"]] == [
            "/v1/videos/{task_id}/content"
        ]
        assert client.get(f"/v1/videos/{task_id}/content", headers=AUTH).status_code == 503
        assert client.get("/__mock/failures").json()["rules"] == []


def test_the_command_takes_a_path_rule_over_the_admin_api(tmp_path: Path) -> None:
    with running(["mockserver", "--quiet", "--lifecycle", "step"], tmp_path, r"serving (http://\S+)") as (url, _):
        _command_face(url)


def test_the_command_on_redis_matches_a_path_rule(tmp_path: Path, redis_server: RedisServer) -> None:
    state = ["--state", redis_server.url, "--state-prefix", f"paths-{uuid.uuid4().hex[:8]}:"]
    with running(["mockserver", "--quiet", "--lifecycle", "step", *state], tmp_path, r"serving (http://\S+)") as (
        url,
        _,
    ):
        _command_face(url)
