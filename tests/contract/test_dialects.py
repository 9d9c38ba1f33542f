"""Rev 2 and dialects through the engine: the publisher's poll object and compatibility route
(`uniall`), the upstream software's shapes (`new-api`), and the same rules in both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.contract import ContractEngine, Incoming, ManualClock, MockControl, Outgoing, Router, Settings
from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from pytest_plugin.strategies import InvalidRequest, create_requests, invalid_create_requests
from tests.support.contract_checks import assert_dialect_conforms

CREATE = "/v1/video/generations"
VIDEOS = "/v1/videos"
TEXT = {"model": "viduq3p-720p", "prompt": "a fox in the snow"}
IMAGE = {"model": "viduq3p-720p", "image": "https://example.com/a.png"}
POLL_KEYS = {"prompt", "video_url", "thumbnail_url", "error", "result", "metadata", "completed_at"}
SEVEN = {"id", "task_id", "object", "model", "status", "progress", "created_at"}


def engine(dialect: str = "uniall", **settings: Any) -> ContractEngine:
    return ContractEngine(Settings(dialect=dialect, **settings), ManualClock())


def send(
    api: ContractEngine, method: str, path: str, body: Any = None, token: str | None = "sk-a", **head: str
) -> Outgoing:
    headers = {"Content-Type": "application/json", **head}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    raw = b"" if body is None else json.dumps(body).encode()
    reply = api.handle(Incoming(method, path, headers, raw, base_url="http://mock.test"))
    if reply.headers.get("Content-Type") == "application/json":
        assert_dialect_conforms(api.settings.dialect, reply.status, reply.body)
    return reply


def create(api: ContractEngine, body: Any = TEXT, **head: str) -> str:
    reply = send(api, "POST", CREATE, body, **head)
    assert reply.status == 200, reply.body
    task_id: str = reply.json()["id"]
    return task_id


# --- uniall (default): the publisher's facts, rev 2 -------------------------------------


def test_every_poll_shows_the_seven_poll_keys_with_their_values_in_each_state() -> None:
    api = engine()  # time lifecycle: queued 2 s, in_progress 6 s, on a clock that moves when told
    clock = api.clock
    assert isinstance(clock, ManualClock)
    task_id = create(api)
    seen = []
    for advance in (0, 4, 10):
        clock.advance(advance)
        job = send(api, "GET", f"{CREATE}/{task_id}").json()
        assert set(job) == SEVEN | POLL_KEYS
        assert (job["prompt"], job["thumbnail_url"], job["metadata"]) == ("a fox in the snow", None, {})
        seen.append(job)
    queued, running, done = seen
    assert [job["status"] for job in seen] == ["queued", "in_progress", "completed"]
    for job in (queued, running):
        assert job["video_url"] is job["result"] is job["error"] is job["completed_at"] is None
    url = f"http://mock.test{CREATE}/{task_id}/content"
    assert (done["video_url"], done["error"], done["completed_at"]) == (url, None, done["created_at"] + 8)
    assert done["result"] == {"outputs": [url], "video_url": url}


def test_a_failed_poll_has_its_error_and_completed_at_and_no_video() -> None:
    api = engine(lifecycle="step")
    task_id = create(api, Prefer="job=fail")
    for _ in range(2):
        job = send(api, "GET", f"{CREATE}/{task_id}").json()
    assert job["status"] == "failed"
    assert job["error"] == {"code": "generation_failed", "message": "The video generation failed."}
    assert job["video_url"] is job["result"] is None and isinstance(job["completed_at"], int)


def test_the_create_answer_stays_exactly_seven_keys_and_a_prompt_less_job_polls_null() -> None:
    api = engine()
    reply = send(api, "POST", CREATE, IMAGE)
    assert set(reply.json()) == SEVEN
    assert send(api, "GET", f"{CREATE}/{reply.json()['id']}").json()["prompt"] is None


def test_the_compatibility_route_answers_the_same_job_isolation_and_errors() -> None:
    api = engine()  # time lifecycle on a still clock: polls do not move the job
    task_id = create(api)
    assert send(api, "GET", f"{VIDEOS}/{task_id}").body == send(api, "GET", f"{CREATE}/{task_id}").body
    for path in (f"{VIDEOS}/{task_id}", f"{CREATE}/{task_id}"):
        foreign = send(api, "GET", path, token="sk-b")
        unknown = send(api, "GET", path.replace(task_id, "task_nope"))
        assert foreign.status == unknown.status == 404 and foreign.json()["error"]["code"] == "task_not_found"
        assert send(api, "GET", path, token=None).status == 401
        assert send(api, "DELETE", path).status == 405


def test_the_compatibility_content_route_serves_the_video_once_completed() -> None:
    api = engine(lifecycle="step")
    task_id = create(api)
    assert send(api, "GET", f"{VIDEOS}/{task_id}/content", token=None).status == 404
    for _ in range(2):  # step lifecycle: the second poll completes it
        send(api, "GET", f"{VIDEOS}/{task_id}")
    video = send(api, "GET", f"{VIDEOS}/{task_id}/content", token=None)
    assert (video.status, video.headers["Content-Type"]) == (200, "video/mp4")


def test_a_queued_poll_failure_hits_either_poll_route() -> None:
    api = engine()
    task_id = create(api)
    MockControl(api).queue_failure(503, endpoint="poll", times=2)
    assert send(api, "GET", f"{VIDEOS}/{task_id}").status == 503
    assert send(api, "GET", f"{CREATE}/{task_id}").status == 503
    assert send(api, "GET", f"{VIDEOS}/{task_id}").status == 200
    paths = [entry.path for entry in api.journal.entries()][-3:]
    assert paths == [f"{VIDEOS}/{task_id}", f"{CREATE}/{task_id}", f"{VIDEOS}/{task_id}"]


def test_a_worker_that_derives_a_task_from_its_id_answers_prompt_null() -> None:
    first, second = engine(), engine()
    task_id = create(first)
    mine, derived = (send(api, "GET", f"{CREATE}/{task_id}").json() for api in (first, second))
    assert (mine["prompt"], derived["prompt"]) == ("a fox in the snow", None)
    assert {k: v for k, v in mine.items() if k != "prompt"} == {k: v for k, v in derived.items() if k != "prompt"}


# --- new-api: the upstream software's shapes ---------------------------------------------


def test_new_api_create_answer_is_an_openai_video_object() -> None:
    body = send(engine("new-api"), "POST", CREATE, TEXT).json()
    assert set(body) == SEVEN and (body["object"], body["status"], body["progress"]) == ("video", "queued", 0)


def test_new_api_legacy_route_wraps_a_task_record_with_uppercase_statuses_and_string_progress() -> None:
    api = engine("new-api", lifecycle="step")
    task_id = create(api)
    records = [send(api, "GET", f"{CREATE}/{task_id}").json() for _ in range(3)]
    assert {(r["code"], r["message"]) for r in records} == {("success", "")}
    data = [r["data"] for r in records]
    assert [(d["status"], d["progress"]) for d in data] == [
        ("IN_PROGRESS", "50%"),
        ("SUCCESS", "100%"),
        ("SUCCESS", "100%"),
    ]
    assert data[-1]["result_url"] == f"http://mock.test{CREATE}/{task_id}/content"
    assert (data[0]["task_id"], data[0]["action"], data[0]["properties"]["input"]) == (
        task_id,
        "textGenerate",
        TEXT["prompt"],
    )


def test_new_api_videos_route_is_lowercase_with_the_url_in_metadata() -> None:
    api = engine("new-api", lifecycle="step")
    task_id = create(api)
    first = send(api, "GET", f"{VIDEOS}/{task_id}").json()
    done = send(api, "GET", f"{VIDEOS}/{task_id}").json()
    assert (first["status"], first["progress"], first["object"]) == ("in_progress", 50, "video")
    assert (done["status"], done["progress"]) == ("completed", 100)
    assert done["metadata"] == {"url": f"http://mock.test{CREATE}/{task_id}/content"}
    assert "task_id" not in done and done["model"] == ""  # as the Vidu converter leaves them


def test_new_api_failure_shows_failure_on_both_routes() -> None:
    api = engine("new-api", lifecycle="step")
    task_id = create(api, Prefer="job=fail")
    send(api, "GET", f"{VIDEOS}/{task_id}")
    video = send(api, "GET", f"{VIDEOS}/{task_id}").json()
    legacy = send(api, "GET", f"{CREATE}/{task_id}").json()["data"]
    assert (video["status"], video["error"]) == (
        "failed",
        {"message": "generation_failed", "code": "generation_failed"},
    )
    assert (legacy["status"], legacy["fail_reason"], legacy["progress"]) == ("FAILURE", "generation_failed", "100%")


def test_new_api_middleware_errors_name_the_request_id() -> None:
    api = engine("new-api")
    reply = send(api, "POST", CREATE, TEXT, token=None)
    body = reply.json()["error"]
    assert (reply.status, body["type"], body["code"]) == (401, "new_api_error", "")
    assert body["message"] == f"Invalid token (request id: {reply.headers['x-request-id']})"
    unknown_model = send(api, "POST", CREATE, {**TEXT, "model": "viduq9-720p"})
    assert (unknown_model.status, unknown_model.json()["error"]["code"]) == (503, "model_not_found")


def test_new_api_task_errors_and_unknown_or_foreign_tasks() -> None:
    api = engine("new-api")
    bad = send(api, "POST", CREATE, {**TEXT, "duration": 17})
    assert bad.status == 400 and bad.json()["code"] == "invalid_value" and bad.json()["data"] is None
    task_id = create(api)
    for path in (f"{CREATE}/{task_id}", f"{VIDEOS}/{task_id}"):
        for reply in (send(api, "GET", path, token="sk-b"), send(api, "GET", path.replace(task_id, "task_x"))):
            assert (reply.status, reply.json()) == (
                400,
                {"code": "task_not_exist", "message": "task_not_exist", "data": None},
            )


def test_new_api_content_route_answers_like_its_video_proxy() -> None:
    api = engine("new-api")
    task_id = create(api)
    missing = send(api, "GET", f"{VIDEOS}/task_x/content", token=None)
    waiting = send(api, "GET", f"{VIDEOS}/{task_id}/content", token=None)
    assert (missing.status, missing.json()) == (
        404,
        {"error": {"message": "Task not found", "type": "invalid_request_error"}},
    )
    assert (waiting.status, waiting.json()["error"]["message"]) == (
        400,
        "Task is not completed yet, current status: SUBMITTED",
    )


def test_the_admin_api_keeps_its_own_error_shape_in_every_dialect() -> None:
    router = Router(engine("new-api"))
    reply = router.handle(Incoming("POST", "/__mock/clock", {"Content-Type": "application/json"}, b'{"advance": -1}'))
    assert reply.status == 400 and reply.json()["error"]["code"] == "invalid_value"
    assert_dialect_conforms("new-api", reply.status, reply.body)


# --- the same rules in both dialects -------------------------------------------------------


def outcome(dialect: str, body: Any) -> tuple[int, str | None]:
    """(status class, code) of one create: the code a client reads in that dialect's body."""
    reply = send(engine(dialect), "POST", CREATE, body)
    payload = reply.json()
    code = payload.get("code") if "data" in payload else payload.get("error", {}).get("code")
    return reply.status // 100, code


@settings(max_examples=60)
@given(st.one_of(create_requests(), invalid_create_requests().map(lambda case: case.body)))
def test_both_dialects_accept_and_refuse_the_same_bodies(body: Any) -> None:
    statuses = {dialect: outcome(dialect, body)[0] for dialect in GATEWAY_DIALECTS}
    assert len(set(statuses.values())) == 1, statuses


@settings(max_examples=60)
@given(invalid_create_requests())
def test_new_api_task_errors_carry_the_same_code(case: InvalidRequest) -> None:
    status, code = outcome("new-api", case.body)
    if case.param != "model":  # model problems are the routing middleware's (503 model_not_found, or code "")
        assert (status, code) == (case.status // 100, case.code)


@pytest.mark.parametrize("name", ["uniall", "new-api"])
def test_the_dialect_setting_is_validated_and_exported(name: str) -> None:
    assert Settings(dialect=name).public()["dialect"] == name
    with pytest.raises(ValueError, match="dialect"):
        Settings(dialect="openai")
