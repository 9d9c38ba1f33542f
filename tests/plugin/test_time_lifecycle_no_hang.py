"""A time-lifecycle job on a clock the test never moves: an error after a bounded number of polls, not a hang."""

from __future__ import annotations

import httpx
import openai
import pytest

from mockserver.contract.jobs.stuck_clock import STUCK_POLLS
from pytest_plugin import VideoAPI, VideoServer
from tests.support.live_servers import AUTH, CREATE, TEXT

FACES = ("video_api", "video_server")
# The SDK marks its video methods deprecated (the upstream Sora API's shutdown date); the mock still serves them.
pytestmark = [pytest.mark.video_api(lifecycle="time"), pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def mock_of(request: pytest.FixtureRequest, face: str) -> VideoAPI | VideoServer:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    return mock


@pytest.mark.parametrize("face", FACES)
def test_create_and_poll_on_a_still_manual_clock_fails_naming_the_ways_out(
    request: pytest.FixtureRequest, face: str
) -> None:
    mock = mock_of(request, face)
    client = openai.OpenAI(base_url=f"{mock.url}/v1", api_key="sk-test", max_retries=0)
    with client, pytest.raises(openai.ConflictError) as refused:
        client.videos.create_and_poll(model="viduq3p-720p", prompt="a fox", poll_interval_ms=1)
    message = str(refused.value)
    assert refused.value.code == "clock_stands_still", refused.value.body
    assert "advance_clock" in message and 'clock="system"' in message
    assert len(mock.requests("poll")) == STUCK_POLLS + 1  # bounded: the first poll past the limit is refused


@pytest.mark.parametrize("face", FACES)
def test_moving_the_clock_between_polls_never_trips_it(request: pytest.FixtureRequest, face: str) -> None:
    mock = mock_of(request, face)
    with httpx.Client(base_url=mock.url, headers=AUTH, timeout=5) as client:
        task_id = client.post(CREATE, json=TEXT).json()["id"]
        for _ in range(STUCK_POLLS):
            assert client.get(f"{CREATE}/{task_id}").json()["status"] == "queued"
        mock.advance_clock(0.5)  # still queued, but the clock moved: the count starts again
        for _ in range(STUCK_POLLS):
            assert client.get(f"{CREATE}/{task_id}").status_code == 200
        mock.advance_clock(3600)
        assert client.get(f"{CREATE}/{task_id}").json()["status"] == "completed"


@pytest.mark.video_api(clock="system")
def test_the_system_clock_is_never_refused(video_api: VideoAPI) -> None:
    with httpx.Client(base_url=video_api.url, headers=AUTH, timeout=5) as client:
        task_id = client.post(CREATE, json=TEXT).json()["id"]
        for _ in range(STUCK_POLLS + 5):
            assert client.get(f"{CREATE}/{task_id}").status_code == 200
