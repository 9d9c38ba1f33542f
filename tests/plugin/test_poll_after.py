"""Polls at test speed: under the fixtures polls carry `openai-poll-after-ms`, so the OpenAI SDK's `poll()`
sleeps what the mock says instead of its default second (the command sends none unless asked: tests/live)."""

from __future__ import annotations

import openai
import pytest

from pytest_plugin import VideoAPI, VideoServer

USER_BASE = "https://video-gateway.example.test/vidu/v1"
FACES = ("video_api", "video_server")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("face", FACES)
def test_create_and_poll_without_an_interval_sleeps_what_the_mock_says(
    request: pytest.FixtureRequest, face: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    base = USER_BASE if isinstance(mock, VideoAPI) else f"{mock.url}/v1"
    slept: list[float] = []
    monkeypatch.setattr(openai.resources.videos.Videos, "_sleep", lambda _self, seconds: slept.append(seconds))
    with openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
        video = client.videos.create_and_poll(model="viduq3p-720p", prompt="a fox", seconds="8")
    assert video.status == "completed"
    assert slept == [0.001]  # one wait between the two polls: the header's millisecond, not 1.0
    polls = mock.assert_requested(2, endpoint="poll", task_id=video.id)
    # The SDK's own marker is kept in the journal as it was sent.
    assert all(entry.headers.get("x-stainless-poll-helper") == "true" for entry in polls)


def test_a_poll_answer_carries_the_header(video_api: VideoAPI) -> None:
    with openai.OpenAI(base_url=USER_BASE, api_key="sk-test", max_retries=0) as client:
        created = client.videos.create(model="viduq3p-720p", prompt="a fox")
        raw = client.videos.with_raw_response.retrieve(created.id)
    assert raw.headers["openai-poll-after-ms"] == "1"


@pytest.mark.video_api(poll_after_ms=None)
def test_a_marker_can_turn_it_off(video_api: VideoAPI) -> None:
    with openai.OpenAI(base_url=USER_BASE, api_key="sk-test", max_retries=0) as client:
        created = client.videos.create(model="viduq3p-720p", prompt="a fox")
        raw = client.videos.with_raw_response.retrieve(created.id)
    assert "openai-poll-after-ms" not in raw.headers
