"""The same Vidu client through `@pytest.mark.video_api(dialect="vidu")` at https://api.vidu.com."""

from __future__ import annotations

import pytest

from mockserver.contract.injection.failures import Endpoint
from pytest_plugin import VideoAPI
from tests.support.vidu_checks import check_every_page, check_lifecycle_and_download
from tests.support.vidu_client import ViduClient

VIDU = pytest.mark.video_api(
    dialect="vidu", base_url="https://api.vidu.com", lifecycle="time", queued_seconds=60, running_seconds=60
)


@VIDU
def test_a_client_from_vidus_pages_passes_through_video_api(video_api: VideoAPI) -> None:
    client, anonymous = ViduClient("vidu-key"), ViduClient(None)
    try:
        check_lifecycle_and_download(client, video_api.advance_clock)
        check_every_page(client, anonymous, video_api.advance_clock)
    finally:
        client.close()
        anonymous.close()


@VIDU
def test_a_planned_failure_shows_its_reason_as_err_code(video_api: VideoAPI) -> None:
    video_api.plan_job("fail", reason="AuditSubmitIllegal")
    client = ViduClient("vidu-key")
    task_id = client.text2video("a fox")["task_id"]
    video_api.advance_clock(120)
    failed = client.creations(task_id)
    assert (failed["state"], failed["err_code"], failed["credits"]) == ("failed", "AuditSubmitIllegal", 0)
    assert video_api.requests("create")[0].status == 200


@VIDU
@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("CreditInsufficient", 400),
        ("AuditSubmitIllegal", 400),
        ("CreationPolicyViolation", 400),
        ("ImageDownloadFailure", 400),
        ("QuotaExceeded", 429),
    ],
)
def test_injected_refusals_answer_in_vidus_shape(video_api: VideoAPI, reason: str, status: int) -> None:
    video_api.queue_failure(reason)
    client = ViduClient("vidu-key")
    with pytest.raises(Exception) as caught:
        client.text2video("a fox")
    error = caught.value
    assert (getattr(error, "status", None), getattr(error, "reason", None)) == (status, reason)
    assert client.text2video("a fox")["state"] == "created"  # the rule was used up


@VIDU
def test_an_off_peak_task_is_cancelled_when_its_window_ends(video_api: VideoAPI) -> None:
    video_api.plan_job("stall")
    client = ViduClient("vidu-key")
    created = client.text2video("a fox", off_peak=True)
    assert created["off_peak"] is True
    video_api.advance_clock(48 * 3600)
    expired = client.creations(created["task_id"])
    assert (expired["state"], expired["err_code"], expired["credits"]) == ("failed", "Canceled", 0)


@VIDU
def test_a_state_change_is_observable_and_the_poll_body_renders_for_a_task(video_api: VideoAPI) -> None:
    seen: list[tuple[str, str, str]] = []
    video_api.engine.vidu_watch.listeners.append(lambda c: seen.append((c.task_id, c.before, c.after)))
    client = ViduClient("vidu-key")
    task_id = client.text2video("a fox", callback_url="https://example.com/hook")["task_id"]
    client.creations(task_id)
    video_api.advance_clock(120)
    client.creations(task_id)
    assert seen == [(task_id, "created", "queueing"), (task_id, "queueing", "success")]
    body = video_api.engine.vidu_poll_body(task_id, "https://api.vidu.com")
    assert body == client.creations(task_id)
    assert video_api.engine.vidu_records.get(task_id).callback_url == "https://example.com/hook"  # type: ignore[union-attr]


@VIDU
@pytest.mark.parametrize("endpoint", ["create", "poll", "content"])
def test_a_rules_own_retry_hint_is_its_wait_in_vidus_dialect_too(video_api: VideoAPI, endpoint: Endpoint) -> None:
    client = ViduClient("vidu-key")
    try:
        task_id = client.text2video("a fox")["task_id"] if endpoint != "create" else None
        if endpoint == "content":
            video_api.advance_clock(120)
            url = client.creations(str(task_id))["creations"][0]["url"]
        video_api.queue_failure(429, endpoint=endpoint, retry_after_ms=2500)
        if endpoint == "create":
            answer = client.http.post("/ent/v2/text2video", json={"model": "viduq3-pro", "prompt": "a fox"})
        elif endpoint == "poll":
            answer = client.http.get(f"/ent/v2/tasks/{task_id}/creations")
        else:
            answer = client.download(url)
    finally:
        client.close()
    assert (answer.status_code, answer.headers["retry-after-ms"], answer.headers["Retry-After"]) == (429, "2500", "3")
