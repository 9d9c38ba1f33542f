"""`POST /v1/videos/{video_id}/remix` as new-api answers it for a Vidu task: a new task on the origin's model."""

from __future__ import annotations

import openai
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from pytest_plugin import VideoAPI, VideoServer

USER_BASE = "https://video-gateway.example.test/vidu/v1"
DIALECTS = [pytest.param(d, marks=pytest.mark.video_api(dialect=d), id=d) for d in GATEWAY_DIALECTS]
# An unknown origin: ResolveOriginTask's 400 (relay/relay_task.go) in new-api, our 404 in uniall.
UNKNOWN_ORIGIN = {
    "new-api": (400, {"code": "task_not_exist", "message": "task_origin_not_exist", "data": None}),
    "uniall": (404, None),
}

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("face", ["video_api", "video_server"])
def test_the_sdk_remix_makes_a_new_task_on_the_origin_model(
    request: pytest.FixtureRequest, face: str, dialect: str
) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    base = USER_BASE if isinstance(mock, VideoAPI) else f"{mock.url}/v1"
    with openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
        origin = client.videos.create(model="viduq3t-1080p", prompt="a fox")
        remixed = client.videos.remix(origin.id, prompt="a fox in the snow")
        assert (remixed.status, remixed.model) == ("queued", "viduq3t-1080p")
        assert remixed.id != origin.id
        assert client.videos.poll(remixed.id, poll_interval_ms=1).status == "completed"
        with pytest.raises(openai.APIStatusError) as unknown:
            client.videos.remix("task_unknown", prompt="a fox")
    status, body = UNKNOWN_ORIGIN[dialect]
    assert unknown.value.status_code == status
    if body is not None:
        assert unknown.value.body == body
    else:
        assert isinstance(unknown.value.body, dict) and unknown.value.body["code"] == "task_not_found"
    entries = mock.assert_requested(3, endpoint="create")
    assert entries[1].path == f"/v1/videos/{origin.id}/remix"
    assert (entries[1].model, entries[1].mode, entries[1].task_id) == ("viduq3t-1080p", "text-to-video", remixed.id)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_another_tokens_task_cannot_be_remixed_and_a_blank_prompt_is_refused(video_api: VideoAPI, dialect: str) -> None:
    with openai.OpenAI(base_url=USER_BASE, api_key="sk-owner", max_retries=0) as owner:
        origin = owner.videos.create(model="viduq3p-720p", prompt="a fox")
        with pytest.raises(openai.BadRequestError) as blank:
            owner.videos.remix(origin.id, prompt="  ")
    assert "prompt is required" in str(blank.value.body)
    other = openai.OpenAI(base_url=USER_BASE, api_key="sk-other", max_retries=0)
    with other, pytest.raises(openai.APIStatusError) as foreign:
        other.videos.remix(origin.id, prompt="a fox")
    assert foreign.value.status_code == UNKNOWN_ORIGIN[dialect][0]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_remix_takes_only_post(video_api: VideoAPI, dialect: str) -> None:
    import httpx

    answer = httpx.get(f"{USER_BASE}/videos/task_x/remix", headers={"Authorization": "Bearer sk-test"})
    assert answer.status_code == 405
