"""`mockserver record` in front of the mock, driven by the OpenAI SDK, then replayed offline.

The SDK's `videos.create_and_poll` runs twice through the recorder (the `mockserver record`
command, a subprocess): once with JSON, once with an `input_reference` file (a form, whose
boundary the SDK draws anew every time). Both creates must be filed as `create` with their
task ids. The mock is then stopped, and the same SDK session, replayed by `mockserver
--replay DIR` (a subprocess) and by `video_api.replay(DIR)`, sees the same ids and statuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest

from mockserver.recordings.folder import read_recordings
from pytest_plugin import VideoAPI
from tests.support.commands import running
from tests.support.live_servers import live_server

# A PNG signature and padding: the mock counts an upload as one image; it never decodes it.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
KEY = "sk-sdk-record-key-1618"
# What the SDK saw of each answer: method, path, HTTP status, and the job's id and status.
Seen = tuple[str, str, int, str | None, str | None]

# The SDK marks its video methods deprecated (the upstream Sora API's shutdown date); the mock still serves them.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _sdk_session(base_url: str) -> tuple[list[Any], list[Seen]]:
    """The two `create_and_poll` calls; returns the final videos and every answer the SDK got."""
    seen: list[Seen] = []

    def saw(response: httpx2.Response) -> None:
        response.read()
        job = response.json() if "json" in response.headers.get("content-type", "") else {}
        seen.append(
            (response.request.method, response.url.path, response.status_code, job.get("id"), job.get("status"))
        )

    http = httpx2.Client(event_hooks={"response": [saw]})
    with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, http_client=http) as client:
        text = client.videos.create_and_poll(
            model="viduq3p-720p", prompt="a fox in the snow", seconds="8", size="1280x720", poll_interval_ms=1
        )
        image = client.videos.create_and_poll(
            model="viduq3p-720p",
            prompt="the cat turns its head",
            input_reference=("cat.png", PNG, "image/png"),
            poll_interval_ms=1,
        )
    return [text, image], seen


def _facts(videos: list[Any]) -> list[tuple[str, str, str]]:
    return [(video.id, video.status, video.model) for video in videos]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str, str]], list[Seen]]:
    """The session recorded through `mockserver record` in front of a live mock, which is stopped afterwards."""
    cwd = tmp_path_factory.mktemp("sdk-recording")
    with live_server(lifecycle="step") as mock:
        words = ["mockserver", "record", "--upstream", mock.url, "--out", "recordings"]
        with running(words, cwd, r"recording (http://\S+)") as (url, recorder):
            videos, seen = _sdk_session(f"{url}/v1")
        out, err = recorder.communicate()
    assert recorder.returncode == 0, err
    assert KEY not in out + err
    return cwd / "recordings", _facts(videos), seen


def test_both_sdk_creates_are_filed_as_creates_with_their_task_ids(
    recorded: tuple[Path, list[tuple[str, str, str]], list[Seen]],
) -> None:
    folder, facts, seen = recorded
    assert [status for _, status, _ in facts] == ["completed", "completed"]
    exchanges = read_recordings(folder)
    creates = [e for e in exchanges if e.endpoint == "create"]
    assert [(e.method, e.path, e.status, e.task_id) for e in creates] == [
        ("POST", "/v1/videos", 200, video_id) for video_id, _, _ in facts
    ]
    assert "multipart/form-data" in creates[1].request_headers["content-type"]
    polls = [(e.path, e.task_id) for e in exchanges if e.endpoint == "poll"]
    assert polls == [(path, job_id) for method, path, _, job_id, _ in seen if method == "GET"]
    assert not any(e.endpoint == "other" for e in exchanges)
    assert not [e.drift for e in exchanges if e.drift], "the mock's answers fit its own dialect on both routes"
    assert not any(KEY.encode() in path.read_bytes() for path in folder.iterdir())


def test_mockserver_replay_answers_the_same_sdk_session_offline(
    recorded: tuple[Path, list[tuple[str, str, str]], list[Seen]],
) -> None:
    folder, facts, seen = recorded
    with running(["mockserver", "--replay", str(folder)], folder.parent, r"serving (http://\S+)") as (url, _):
        videos, replayed = _sdk_session(f"{url}/v1")
        journal = httpx.get(f"{url}/__mock/journal").json()["entries"]
    assert _facts(videos) == facts
    assert replayed == seen
    assert [e["endpoint"] for e in journal if e["endpoint"] == "create"] == ["create", "create"]
    assert all(e["status"] == 200 for e in journal), journal


def test_video_api_replays_the_same_sdk_session(
    video_api: VideoAPI, recorded: tuple[Path, list[tuple[str, str, str]], list[Seen]]
) -> None:
    folder, facts, seen = recorded
    with video_api.replay(folder):
        videos, replayed = _sdk_session(f"{video_api.url}/v1")
    assert _facts(videos) == facts
    assert replayed == seen
    created = video_api.assert_requested(2, endpoint="create", status=200)
    assert [entry.task_id for entry in created] == [video_id for video_id, _, _ in facts]
