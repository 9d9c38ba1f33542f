"""One behaviour suite, run against both faces: `video_api` (in process) and `video_server` (loopback).

Each case expects the same statuses, bodies and client-visible failures from both, so the
two faces cannot drift apart. Every JSON body is checked against the schemas.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver.contract.jobs.lifecycle import TransitionError
from mockserver.live.faults import MALFORMED_BODY
from pytest_plugin import VideoAPI, VideoServer
from tests.support.contract_checks import assert_conforms

API_BASE = "https://api.vidu.test"
# Narrowed to a base URL, the in-process face owns every path there, as the server owns its port.
pytestmark = pytest.mark.video_api(base_url=API_BASE)

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox in the snow"}
IMAGE = "https://example.com/first.png"
BODIES: dict[str, dict[str, Any]] = {
    "text-to-video": TEXT,
    "image-to-video": {"model": "viduq3t-540p", "image": IMAGE},
    "first-and-last-frame": {"model": "viduq3p-1080p", "image": IMAGE, "last_image": "https://example.com/last.png"},
    "reference-to-video": {"model": "viduq3p-mix-720p", "prompt": "a fox", "reference_image_urls": [IMAGE]},
}
# One TLS context for every client: loading the CA bundle per client costs more than a test.
TLS = ssl.create_default_context()
JOB_KEYS = {"id", "task_id", "object", "model", "status", "progress", "created_at"}


@dataclass
class Face:
    """A fixture under test and an httpx client pointed at it."""

    control: VideoAPI | VideoServer
    client: httpx.Client

    def create(self, body: Any = TEXT, **headers: str) -> httpx.Response:
        return self.client.post("/v1/video/generations", json=body, headers={**AUTH, **headers})

    def poll(self, task_id: str, **headers: str) -> httpx.Response:
        return self.client.get(f"/v1/video/generations/{task_id}", headers={**AUTH, **headers})

    def new_task(self, **headers: str) -> str:
        task_id: str = checked(self.create(**headers), 200)["id"]
        return task_id


def checked(response: httpx.Response, status: int) -> Any:
    """The response's JSON body, after checking its status and its schema."""
    assert response.status_code == status, response.text
    return assert_conforms(response.status_code, response.content)


@pytest.fixture(params=["video_api", "video_server"])
def face(request: pytest.FixtureRequest) -> Iterator[Face]:
    control: VideoAPI | VideoServer = request.getfixturevalue(request.param)
    with httpx.Client(base_url=control.url, timeout=5, verify=TLS) as client:
        yield Face(control, client)


# -- create ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(BODIES))
def test_create_answers_a_queued_job_for_each_mode(face: Face, mode: str) -> None:
    job = checked(face.create(BODIES[mode]), 200)
    assert set(job) == JOB_KEYS
    assert (job["status"], job["progress"], job["model"]) == ("queued", 0, BODIES[mode]["model"])
    assert job["id"] == job["task_id"] and job["id"].startswith("task_")
    assert job["created_at"] == 1774507626  # the manual clock's start: deterministic
    face.control.assert_requested(1, mode=mode, model=BODIES[mode]["model"], status=200)


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"prompt": "x"}, "missing_field", "model"),
        ({"model": "viduq3p-720p"}, "missing_field", "prompt"),
        ({**TEXT, "duration": 17}, "invalid_value", "duration"),
        ({"model": "viduq3p-mix-720p", "prompt": "x"}, "invalid_mode", "model"),
        ({"model": "viduq3p-9000p", "prompt": "x"}, "model_not_supported", "model"),
        ({**TEXT, "last_image": IMAGE}, "invalid_mode", "last_image"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(face: Face, body: Any, code: str, param: str) -> None:
    error = checked(face.create(body), 400)["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)


def test_body_that_is_not_json_is_400_and_wrong_content_type_415(face: Face) -> None:
    bad_json = face.client.post(
        "/v1/video/generations", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert checked(bad_json, 400)["error"]["code"] == "invalid_json"
    text = face.client.post("/v1/video/generations", content=b"hi", headers={**AUTH, "Content-Type": "text/plain"})
    assert checked(text, 415)["error"]["code"] == "unsupported_media_type"


# -- auth and isolation ----------------------------------------------------------------------
def test_missing_token_is_401(face: Face) -> None:
    response = face.client.post("/v1/video/generations", json=TEXT)
    error = checked(response, 401)["error"]
    assert (error["type"], error["code"]) == ("authentication_error", "missing_api_key")


@pytest.mark.video_api(tokens=("sk-test",))
def test_unknown_token_is_401_when_tokens_are_configured(face: Face) -> None:
    checked(face.create(), 200)
    other = face.create(Authorization="Bearer sk-other")
    assert checked(other, 401)["error"]["code"] == "invalid_api_key"


def test_another_tokens_task_is_404(face: Face) -> None:
    task_id = face.new_task()
    error = checked(face.poll(task_id, Authorization="Bearer sk-someone-else"), 404)["error"]
    assert (error["type"], error["code"]) == ("not_found_error", "task_not_found")
    assert checked(face.poll("task_unknown"), 404)["error"]["code"] == "task_not_found"


def test_journal_keeps_no_bearer_token(face: Face) -> None:
    face.create()
    (entry,) = face.control.journal
    assert entry.headers["authorization"] == "Bearer [redacted]"
    assert "sk-test" not in json.dumps(entry.to_json())


# -- lifecycle and the video ---------------------------------------------------------------
def test_polling_reaches_completed_and_the_video_downloads(face: Face) -> None:
    task_id = face.new_task()
    assert face.client.get(f"/v1/video/generations/{task_id}/content").status_code == 404
    first = checked(face.poll(task_id), 200)
    assert (first["status"], first["progress"]) == ("in_progress", 50)
    done = checked(face.poll(task_id), 200)
    assert (done["status"], done["progress"], done["completed_at"]) == ("completed", 100, 1774507626)
    assert done["video_url"] == f"{face.control.url}/v1/video/generations/{task_id}/content"
    video = face.client.get(done["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp" and int(video.headers["content-length"]) == len(video.content)
    head = face.client.head(f"/v1/video/generations/{task_id}", headers=AUTH)
    assert (head.status_code, head.content) == (200, b"")
    # HEAD on the download: the GET's headers (clients learn the size first), no body.
    sized = face.client.head(done["video_url"])
    assert (sized.status_code, sized.content, sized.headers["content-type"]) == (200, b"", "video/mp4")
    assert sized.headers["content-length"] == str(len(video.content))


@pytest.mark.video_api(lifecycle="time")
def test_time_lifecycle_follows_the_controlled_clock(face: Face) -> None:
    task_id = face.new_task()
    assert checked(face.poll(task_id), 200)["status"] == "queued"
    face.control.advance_clock(2)
    assert checked(face.poll(task_id), 200)["status"] == "in_progress"
    face.control.advance_clock(6)
    done = checked(face.poll(task_id), 200)
    assert (done["status"], done["completed_at"]) == ("completed", 1774507626 + 8)


def test_prefer_job_fail_ends_failed(face: Face) -> None:
    task_id = face.new_task(Prefer="job=fail")
    statuses = [checked(face.poll(task_id), 200) for _ in range(2)]
    assert [s["status"] for s in statuses] == ["in_progress", "failed"]
    assert statuses[-1]["error"]["code"] == "generation_failed"


def test_prefer_job_stall_never_finishes_until_forced(face: Face) -> None:
    task_id = face.new_task(Prefer="job=stall")
    assert [checked(face.poll(task_id), 200)["status"] for _ in range(3)] == ["in_progress"] * 3
    face.control.complete(task_id)
    assert checked(face.poll(task_id), 200)["status"] == "completed"


def test_forced_states_move_forward_only(face: Face) -> None:
    task_id = face.new_task()
    assert face.control.advance(task_id).status == "in_progress"
    assert checked(face.poll(task_id), 200)["status"] == "in_progress"
    assert face.control.fail(task_id).status == "failed"
    assert checked(face.poll(task_id), 200)["status"] == "failed"
    with pytest.raises(TransitionError):
        face.control.complete(task_id)
    stalled = face.new_task()
    assert face.control.stall(stalled).status == "in_progress"
    assert face.control.state(stalled).status == "in_progress"
    with pytest.raises(KeyError):
        face.control.complete("task_nobody")


# -- injected errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prefer", "status", "code", "retry_after"),
    [
        ("code=429", 429, "rate_limit_exceeded", True),
        ("code=503", 503, "service_unavailable", True),
        ("code=500", 500, "internal_error", False),
        ("code=insufficient_quota", 429, "insufficient_quota", False),
    ],
)
def test_prefer_code_answers_that_error(face: Face, prefer: str, status: int, code: str, retry_after: bool) -> None:
    response = face.create(Prefer=prefer)
    assert checked(response, status)["error"]["code"] == code
    assert response.headers["preference-applied"] == prefer
    assert ("retry-after-ms" in response.headers) is retry_after
    if retry_after:
        assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == ("1", "200")


def test_prefer_retry_false_says_do_not_retry(face: Face) -> None:
    response = face.create(Prefer="code=500, retry=false")
    checked(response, 500)
    assert response.headers["x-should-retry"] == "false"


def test_queued_failures_match_on_model_and_mode(face: Face) -> None:
    face.control.queue_failure(503, model="viduq3t-540p", times=2)
    face.control.queue_failure("rate_limit_exceeded", mode="reference-to-video")
    checked(face.create(BODIES["text-to-video"]), 200)
    assert checked(face.create(BODIES["image-to-video"]), 503)["error"]["code"] == "service_unavailable"
    assert checked(face.create(BODIES["reference-to-video"]), 429)["error"]["code"] == "rate_limit_exceeded"
    checked(face.create(BODIES["image-to-video"]), 503)
    checked(face.create(BODIES["image-to-video"]), 200)
    assert face.control.pending_failures == []
    face.control.assert_requested(3, model="viduq3t-540p")


def test_queued_failure_on_poll(face: Face) -> None:
    task_id = face.new_task()
    face.control.queue_failure(502, endpoint="poll")
    assert checked(face.poll(task_id), 502)["error"]["code"] == "bad_gateway"
    assert checked(face.poll(task_id), 200)["status"] == "in_progress"


# -- routing ------------------------------------------------------------------------------
def test_wrong_methods_are_405_with_allow(face: Face) -> None:
    listing = face.client.get("/v1/video/generations", headers=AUTH)
    assert checked(listing, 405)["error"]["code"] == "method_not_allowed"
    assert listing.headers["allow"] == "POST"
    delete = face.client.delete("/v1/video/generations/task_x", headers=AUTH)
    checked(delete, 405)
    assert delete.headers["allow"] == "GET, HEAD"


def test_unknown_path_is_a_json_404(face: Face) -> None:
    response = face.client.get("/v1/video", headers=AUTH)
    assert checked(response, 404)["error"]["code"] == "not_found"


# -- network faults and latency --------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("reset", httpx.ReadError, "[Errno 104] Connection reset by peer"),
        ("empty", httpx.RemoteProtocolError, "Server disconnected without sending a response."),
        ("timeout", httpx.ReadTimeout, "timed out"),
    ],
)
def test_faults_reach_the_client_as_transport_errors(
    face: Face, fault: str, error: type[httpx.TransportError], message: str
) -> None:
    face.client.timeout = httpx.Timeout(5, read=0.2)  # the server holds a `timeout` fault longer
    with pytest.raises(error) as raised:
        face.create(Prefer=f"fault={fault}")
    assert str(raised.value) == message
    face.control.inject_fault(fault, endpoint="poll")  # type: ignore[arg-type]
    task_id = face.new_task()
    with pytest.raises(error):
        face.poll(task_id)
    # The lost poll still counted (the server did its work before the connection failed).
    assert checked(face.poll(task_id), 200)["status"] == "completed"


def test_malformed_fault_is_a_200_with_truncated_json(face: Face) -> None:
    face.control.inject_fault("malformed")
    response = face.create()
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    assert response.content == MALFORMED_BODY
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_latency_longer_than_the_read_timeout_times_out(face: Face) -> None:
    face.control.inject_latency(2000)
    with pytest.raises(httpx.ReadTimeout):
        face.client.post("/v1/video/generations", json=TEXT, headers=AUTH, timeout=httpx.Timeout(5, read=0.1))
    face.control.inject_latency(20)
    checked(face.create(), 200)
    face.control.assert_requested(2, injected="rule:delay")


# -- assertions ---------------------------------------------------------------------------
def test_assert_requested_failure_lists_near_misses(face: Face) -> None:
    face.create(BODIES["image-to-video"])
    with pytest.raises(AssertionError) as failure:
        face.control.assert_requested(mode="text-to-video")
    # The journal's sequence numbers keep counting across resets, so the number is left open.
    assert re.fullmatch(
        r"expected at least 1 create request\(s\) with mode='text-to-video', got 0\.\n"
        r"Received:\n"
        r"  #\d+ POST /v1/video/generations -> 200 \(model='viduq3t-540p', mode='image-to-video'\) "
        r"near miss: mode is 'image-to-video', not 'text-to-video'",
        str(failure.value),
    ), str(failure.value)
