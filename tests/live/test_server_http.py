"""The Flask face over real loopback HTTP, with requests and httpx: create, poll, download, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from mockserver.contract.settings import Settings
from mockserver.live import LiveServer
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server
from tests.support.page_examples import PAGE_BODIES


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server() as started:
        yield started


def post(url: str, payload: Any = TEXT, **headers: str) -> requests.Response:
    response = requests.post(url + CREATE, json=payload, headers={**AUTH, **headers}, timeout=5)
    assert "x-request-id" in response.headers
    assert_conforms(response.status_code, response.content)
    return response


def poll(url: str, task_id: str, **headers: str) -> requests.Response:
    response = requests.get(f"{url}{CREATE}/{task_id}", headers={**AUTH, **headers}, timeout=5)
    assert_conforms(response.status_code, response.content)
    return response


@pytest.mark.parametrize(("body", "mode"), PAGE_BODIES, ids=[m for _, m in PAGE_BODIES])
def test_page_examples_are_queued_with_requests_and_httpx(server: LiveServer, body: dict[str, Any], mode: str) -> None:
    by_requests = post(server.url, body)
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        by_httpx = client.post(CREATE, json=body)
    for response in (by_requests.json(), by_httpx.json()):
        assert response["status"] == "queued" and response["model"] == body["model"]
    assert_conforms(by_httpx.status_code, by_httpx.content)
    assert [e.mode for e in server.control.requests("create")] == [mode, mode]


def _video_is_mp4(url: str) -> None:
    video = requests.get(url, timeout=5)  # no bearer token: like a signed CDN link
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp" and len(video.content) < 100_000


@pytest.mark.parametrize(("body", "mode"), PAGE_BODIES, ids=[m for _, m in PAGE_BODIES])
def test_time_lifecycle_per_mode_with_the_clock_moved_not_slept(
    server: LiveServer, body: dict[str, Any], mode: str
) -> None:
    task_id = post(server.url, body).json()["id"]
    offpeak = body["model"].endswith("-offpeak")
    queued = 2.0 * (3 if offpeak else 1) + (12.0 if offpeak else 0.0)
    assert poll(server.url, task_id).json()["status"] == "queued"
    server.control.advance_clock(queued - 0.5)
    assert poll(server.url, task_id).json()["status"] == "queued"
    server.control.advance_clock(1.0)
    seen = poll(server.url, task_id).json()
    assert seen["status"] == "in_progress" and 0 < seen["progress"] < 100
    server.control.advance_clock(6.0)
    done = poll(server.url, task_id).json()
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["video_url"].startswith(server.url + "/")
    _video_is_mp4(done["video_url"])


@pytest.mark.parametrize(("body", "mode"), PAGE_BODIES, ids=[m for _, m in PAGE_BODIES])
def test_step_lifecycle_per_mode(body: dict[str, Any], mode: str) -> None:
    with live_server(lifecycle="step") as server:
        task_id = post(server.url, body).json()["id"]
        statuses = [poll(server.url, task_id).json() for _ in range(3)]
        assert [s["status"] for s in statuses] == ["in_progress", "completed", "completed"]
        assert statuses[1] == statuses[2]  # a final state never changes, completed_at included
        _video_is_mp4(statuses[1]["video_url"])


def test_video_is_404_until_completed_and_for_unknown_ids(server: LiveServer) -> None:
    task_id = post(server.url).json()["id"]
    early = requests.get(f"{server.url}{CREATE}/{task_id}/content", timeout=5)
    assert early.status_code == 404
    assert_conforms(404, early.content)
    assert requests.get(f"{server.url}{CREATE}/task_nope/content", timeout=5).status_code == 404


def test_a_task_is_visible_only_to_the_token_that_made_it(server: LiveServer) -> None:
    task_id = post(server.url).json()["id"]
    other = poll(server.url, task_id, Authorization="Bearer sk-someone-else")
    unknown = poll(server.url, "task_doesnotexist")
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"]["code"] == unknown.json()["error"]["code"] == "task_not_found"


def test_only_configured_tokens_are_accepted() -> None:
    with live_server(tokens=("sk-one",)) as server:
        assert post(server.url, Authorization="Bearer sk-one").status_code == 200
        refused = post(server.url, Authorization="Bearer sk-two")
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_api_key")
        missing = requests.post(server.url + CREATE, json=TEXT, timeout=5)
        assert (missing.status_code, missing.json()["error"]["code"]) == (401, "missing_api_key")


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", CREATE, 405, "POST"),
        ("PUT", CREATE, 405, "POST"),
        ("DELETE", f"{CREATE}/task_x", 405, "GET, HEAD"),
        ("OPTIONS", CREATE, 405, "POST"),
        ("PURGE", CREATE, 405, "POST"),
        ("GET", "/", 404, None),
        ("GET", "/v1/models", 404, None),
        ("POST", "/v2/video/generations", 404, None),
    ],
)
def test_wrong_methods_and_unknown_paths_answer_json(
    server: LiveServer, method: str, path: str, status: int, allow: str | None
) -> None:
    response = requests.request(method, server.url + path, headers=AUTH, timeout=5)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert_conforms(status, response.content)
    assert response.headers.get("Allow") == allow


def test_bad_bodies_get_400_415_and_413() -> None:
    with live_server(max_body_bytes=1024) as server:
        url = server.url + CREATE
        cases = [
            (b"{not json", "application/json", 400, "invalid_json"),
            (b"", "application/json", 400, "invalid_json"),
            (json.dumps(TEXT).encode(), "text/plain", 415, "unsupported_media_type"),
            (json.dumps({"model": "viduq3p-720p"}).encode(), "application/json", 400, "missing_field"),
            (b'{"model": "' + b"x" * 2000 + b'"}', "application/json", 413, "payload_too_large"),
        ]
        for raw, content_type, status, code in cases:
            response = requests.post(url, data=raw, headers={**AUTH, "Content-Type": content_type}, timeout=5)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), raw[:40]
            assert_conforms(status, response.content)
        # The server keeps serving after every one of them.
        assert post(server.url).status_code == 200


def test_an_oversized_body_is_refused_with_413_before_it_is_read() -> None:
    with live_server(max_body_bytes=64 * 1024) as server:
        big = b" " * (5 * 1024 * 1024)
        response = requests.post(
            server.url + CREATE, data=big, headers={**AUTH, "Content-Type": "application/json"}, timeout=10
        )
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")
        [entry] = server.control.journal
        assert entry.body == f"<{len(big)} bytes, not kept>"


def test_strict_mode_rejects_unknown_fields() -> None:
    with live_server(strict=True) as server:
        refused = post(server.url, {**TEXT, "colour": "red"})
        assert (refused.status_code, refused.json()["error"]["param"]) == (400, "colour")
    with live_server() as lenient:
        assert post(lenient.url, {**TEXT, "colour": "red"}).status_code == 200


def test_the_server_header_names_the_mock(server: LiveServer) -> None:
    response = post(server.url)
    assert response.headers["Server"].startswith("vidu-mock Python/"), response.headers["Server"]


def test_a_busy_port_raises_oserror_and_leaves_the_running_server_alone(server: LiveServer) -> None:
    # Werkzeug's own constructor prints and calls sys.exit on a bind error; a library must raise.
    second = LiveServer(Settings(port=server.port))
    with pytest.raises(OSError):
        second.start()
    assert not second.running
    assert post(server.url).status_code == 200
