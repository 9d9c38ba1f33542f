"""The engine end to end in-process: auth, isolation, injection, bounded state, signed ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, MockControl, Outgoing, Settings, parse_prefer
from mockserver.contract.errors import ApiError
from tests.support.contract_checks import assert_conforms

CREATE = "/v1/video/generations"
TEXT = {"model": "viduq3p-540p", "prompt": "a fox"}


def engine(**settings: Any) -> ContractEngine:
    return ContractEngine(Settings(**settings), ManualClock())


def post(api: ContractEngine, payload: Any = TEXT, token: str = "sk-a", **headers: str) -> Outgoing:
    head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    reply = api.handle(Incoming("POST", CREATE, head, raw))
    assert "x-request-id" in reply.headers
    assert_conforms(reply.status, reply.body)
    return reply


def poll(api: ContractEngine, task_id: str, token: str = "sk-a", **headers: str) -> Outgoing:
    reply = api.handle(Incoming("GET", f"{CREATE}/{task_id}", {"Authorization": f"Bearer {token}", **headers}))
    assert_conforms(reply.status, reply.body)
    return reply


def code(reply: Outgoing) -> tuple[int, str]:
    return reply.status, reply.json()["error"]["code"]


def test_create_returns_exactly_the_seven_keys() -> None:
    body = post(engine()).json()
    assert set(body) == {"id", "task_id", "object", "model", "status", "progress", "created_at"}
    assert body["id"] == body["task_id"] and body["status"] == "queued" and body["progress"] == 0


def test_auth_missing_invalid_and_allowlist() -> None:
    api = engine(tokens=("sk-good",))
    assert code(api.handle(Incoming("POST", CREATE, {"Content-Type": "application/json"}, b"{}"))) == (
        401,
        "missing_api_key",
    )
    assert code(post(api, token="sk-bad")) == (401, "invalid_api_key")
    assert post(api, token="sk-good").status == 200


def test_a_task_is_visible_only_to_its_token() -> None:
    api = engine()
    task_id = post(api, token="sk-a").json()["id"]
    assert poll(api, task_id, token="sk-a").status == 200
    assert code(poll(api, task_id, token="sk-b")) == (404, "task_not_found")
    assert code(poll(api, "task_unknown")) == (404, "task_not_found")


def test_offpeak_jobs_take_three_times_as_long() -> None:
    api = engine()
    control = MockControl(api)
    normal = post(api).json()["id"]
    offpeak = post(api, {**TEXT, "model": "viduq3p-540p-offpeak"}).json()["id"]
    control.advance_clock(8)
    assert poll(api, normal).json()["status"] == "completed"
    assert poll(api, offpeak).json()["status"] == "queued"
    control.advance_clock(15.9)
    assert poll(api, offpeak).json()["status"] == "in_progress"
    control.advance_clock(0.1)
    assert poll(api, offpeak).json()["status"] == "completed"


def test_signed_ids_resolve_in_another_engine_with_the_same_secret() -> None:
    first, second = engine(secret="s1"), engine(secret="s1")
    task_id = post(first).json()["id"]
    MockControl(second).advance_clock(100)
    assert poll(second, task_id).json()["status"] == "completed"
    assert code(poll(engine(secret="other"), task_id)) == (404, "task_not_found")
    assert code(poll(second, task_id, token="sk-b")) == (404, "task_not_found")


def test_reset_forgets_tasks_and_their_ids() -> None:
    api = engine()
    task_id = post(api).json()["id"]
    api.reset()
    assert code(poll(api, task_id)) == (404, "task_not_found")
    assert api.journal.entries()[-1].status == 404


def test_prefer_code_with_retry_headers_and_no_retry_switch() -> None:
    api = engine(retry_after_ms=300)
    reply = post(api, {}, Prefer="code=503, retry=false")
    assert code(reply) == (503, "service_unavailable")
    assert (reply.headers["retry-after-ms"], reply.headers["Retry-After"]) == ("300", "1")  # rounded up
    assert reply.headers["x-should-retry"] == "false"
    assert "code=503" in reply.headers["Preference-Applied"]
    assert code(post(api, Prefer="code=insufficient_quota")) == (429, "insufficient_quota")


@pytest.mark.parametrize(
    "header", ["code=418", "code=abc", "delay=-1", "delay=999999", "fault=boom", "job=win", "retry=2"]
)
def test_a_bad_prefer_value_is_a_400_naming_the_header(header: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_prefer(header)
    assert (info.value.code, info.value.param) == ("invalid_value", "Prefer")
    assert code(post(engine(), Prefer=header)) == (400, "invalid_value")


def test_prefer_unknown_preferences_are_ignored_and_job_fail_fails_later() -> None:
    api = engine()
    task_id = post(api, Prefer="respond-async, job=fail, wait=10").json()["id"]
    MockControl(api).advance_clock(60)
    body = poll(api, task_id).json()
    assert body["status"] == "failed" and set(body["error"]) == {"code", "message"}


def test_queued_failures_match_on_model_and_mode_and_run_out() -> None:
    api = engine()
    control = MockControl(api)
    control.queue_failure(429, times=2, model="viduq3t-720p")
    assert post(api).status == 200
    other = {**TEXT, "model": "viduq3t-720p"}
    assert [post(api, other).status for _ in range(3)] == [429, 429, 200]
    control.queue_failure("internal_error", mode="image-to-video")
    assert post(api).status == 200
    assert post(api, {"model": "viduq3t-720p", "image": "https://e.com/a.png"}).status == 500
    assert control.pending_failures == []


def test_random_errors_are_reproducible_with_a_seed() -> None:
    def run() -> list[int]:
        api = engine(error_rate=0.5, seed=7, error_codes=("500", "429"))
        return [post(api).status for _ in range(40)]

    statuses = run()
    assert statuses == run()
    assert {200, 500, 429} <= set(statuses)


def test_injected_errors_win_over_validation_but_not_over_auth() -> None:
    api = engine()
    assert code(post(api, b"not json", Prefer="code=500")) == (500, "internal_error")
    reply = api.handle(Incoming("POST", CREATE, {"Prefer": "code=500"}, b"{}"))
    assert code(reply) == (401, "missing_api_key")


def test_content_type_size_method_and_path_errors() -> None:
    api = engine(max_body_bytes=100)
    assert code(post(api, Prefer="x", **{"Content-Type": "text/plain"})) == (415, "unsupported_media_type")
    assert code(post(api, {**TEXT, "prompt": "x" * 200})) == (413, "payload_too_large")
    wrong = api.handle(Incoming("DELETE", CREATE, {"Authorization": "Bearer a"}))
    assert code(wrong) == (405, "method_not_allowed") and wrong.headers["Allow"] == "POST"
    assert code(api.handle(Incoming("GET", "/v2/other"))) == (404, "not_found")


def test_journal_redacts_tokens_and_is_capped() -> None:
    api = engine(max_journal=3)
    for _ in range(5):
        post(api, token="sk-secret-123")
    entries = api.journal.entries()
    assert len(entries) == 3
    assert "sk-secret-123" not in json.dumps([e.to_json() for e in entries])
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)


def test_task_store_evicts_the_oldest_task_first() -> None:
    api = engine(max_tasks=2, lifecycle="step")
    ids = [post(api).json()["id"] for _ in range(3)]
    assert len(api.store) == 2
    assert code(poll(api, ids[0])) == (404, "task_not_found")
    assert poll(api, ids[2]).status == 200


def test_assert_requested_reports_near_misses() -> None:
    api = engine()
    control = MockControl(api)
    post(api)
    control.assert_requested(1, model="viduq3p-540p", mode="text-to-video")
    with pytest.raises(AssertionError) as info:
        control.assert_requested(1, model="viduq3p-720p")
    message = str(info.value)
    assert "expected 1 create request(s) with model='viduq3p-720p', got 0" in message
    assert "near miss: model is 'viduq3p-540p', not 'viduq3p-720p'" in message


def test_step_lifecycle_and_video_download() -> None:
    api = engine(lifecycle="step")
    task_id = post(api).json()["id"]
    assert [poll(api, task_id).json()["status"] for _ in range(3)] == ["in_progress", "completed", "completed"]
    url = poll(api, task_id).json()["video_url"]
    video = api.handle(Incoming("GET", url.removeprefix("http://127.0.0.1")))
    assert video.status == 200 and video.headers["Content-Type"] == "video/mp4"
    assert video.body[4:8] == b"ftyp" and len(video.body) < 100_000


def test_the_create_response_is_queued_even_when_jobs_take_no_time() -> None:
    api = engine(queued_seconds=0, running_seconds=0)
    created = post(api).json()
    assert (created["status"], created["progress"]) == ("queued", 0)
    assert poll(api, created["id"]).json()["status"] == "completed"


def test_journal_numbering_restarts_after_a_reset() -> None:
    api = engine()
    post(api)
    post(api)
    MockControl(api).reset()
    post(api)
    assert [e.seq for e in MockControl(api).journal] == [1]
