"""The OpenAI SDK's own video methods (`client.videos.*`, sync and async) end to end, in both dialects,
against the in-process fake (`video_api`) and the live server (`video_server`): `POST /v1/videos`."""

from __future__ import annotations

import warnings
from typing import Any

import openai
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from pytest_plugin import VideoAPI, VideoServer

# A user's own base URL on a host that does not exist: only the in-process fake can answer it.
USER_BASE = "https://video-gateway.example.test/vidu/v1"
# A PNG signature and padding: the mock counts an upload as one image; it never decodes it.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
FACES = ("video_api", "video_server")
DIALECTS = [pytest.param(d, marks=pytest.mark.video_api(dialect=d), id=d) for d in GATEWAY_DIALECTS]
# What each dialect answers to a blank prompt: new-api's ValidateBasicTaskRequest, and ours.
BLANK_PROMPT: dict[str, dict[str, Any]] = {
    "uniall": {
        "message": "prompt is required",
        "type": "invalid_request_error",
        "param": "prompt",
        "code": "invalid_request",
    },
    "new-api": {"code": "invalid_request", "message": "prompt is required", "data": None},
}

# The SDK marks its video methods deprecated (the upstream Sora API's shutdown date); the mock still serves them.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


def face_of(request: pytest.FixtureRequest, face: str) -> tuple[VideoAPI | VideoServer, str]:
    """The fixture named `face` and the base URL an SDK client uses with it."""
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    return mock, (USER_BASE if isinstance(mock, VideoAPI) else f"{mock.url}/v1")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("face", FACES)
def test_create_and_poll_reaches_completed_and_download_content_is_the_mp4(
    request: pytest.FixtureRequest, face: str, dialect: str
) -> None:
    mock, base = face_of(request, face)
    with openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
        video = client.videos.create_and_poll(
            model="viduq3p-720p", prompt="a fox in the snow", seconds="8", size="1280x720", poll_interval_ms=1
        )
        assert video.status == "completed"
        content = client.videos.download_content(video.id)
    assert content.content[4:8] == b"ftyp"
    created = mock.assert_requested(1, endpoint="create")[0]
    assert (created.path, created.mode, created.model, created.status) == (
        "/v1/videos",
        "text-to-video",
        "viduq3p-720p",
        200,
    )
    assert created.body == {"prompt": "a fox in the snow", "model": "viduq3p-720p", "seconds": "8", "size": "1280x720"}
    mock.assert_requested(2, endpoint="poll", task_id=video.id)


@pytest.mark.anyio
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("face", FACES)
async def test_the_async_client_runs_the_same_calls(request: pytest.FixtureRequest, face: str, dialect: str) -> None:
    mock, base = face_of(request, face)
    async with openai.AsyncOpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
        video = await client.videos.create_and_poll(
            model="viduq3p-720p", prompt="a fox", seconds="8", size="1280x720", poll_interval_ms=1
        )
        content = await client.videos.download_content(video.id)
    assert video.status == "completed"
    assert content.content[4:8] == b"ftyp"
    mock.assert_requested(1, endpoint="create", mode="text-to-video")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("face", FACES)
def test_an_input_reference_upload_makes_an_image_to_video_job(
    request: pytest.FixtureRequest, face: str, dialect: str
) -> None:
    mock, base = face_of(request, face)
    with openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0) as client:
        video = client.videos.create(
            model="viduq3p-720p", prompt="the cat turns its head", input_reference=("cat.png", PNG, "image/png")
        )
    assert video.status == "queued"
    (entry,) = mock.assert_requested(1, mode="image-to-video", task_id=video.id)
    assert entry.body["input_reference"] == {"filename": "cat.png", "content_type": "image/png", "bytes": len(PNG)}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("face", FACES)
def test_an_invalid_call_raises_bad_request_with_the_dialect_body(
    request: pytest.FixtureRequest, face: str, dialect: str
) -> None:
    mock, base = face_of(request, face)
    client = openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0)
    with client, pytest.raises(openai.BadRequestError) as raised:
        client.videos.create(model="viduq3p-720p", prompt="   ", seconds="8")
    assert raised.value.status_code == 400
    assert raised.value.body == BLANK_PROMPT[dialect]
    mock.assert_requested(1, endpoint="create", status=400)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_unknown_model_is_refused_as_the_dialect_refuses_it(video_api: VideoAPI, dialect: str) -> None:
    client = openai.OpenAI(base_url=USER_BASE, api_key="sk-test", max_retries=0)
    with client, pytest.raises(openai.APIStatusError) as unknown_model:
        client.videos.create(model="sora-2", prompt="a fox")
    # new-api's routing middleware refuses a model no channel serves with a 503 (docs/contract.md).
    assert unknown_model.value.status_code == (503 if dialect == "new-api" else 400)
    video_api.assert_requested(1, model="sora-2", mode="text-to-video")


def test_a_queued_failure_and_prefer_reach_the_sdk_on_this_route(video_api: VideoAPI) -> None:
    video_api.queue_failure(429, endpoint="create")
    with openai.OpenAI(base_url=USER_BASE, api_key="sk-test", max_retries=0) as client:
        with pytest.raises(openai.RateLimitError):
            client.videos.create(model="viduq3p-720p", prompt="a fox")
        video = client.videos.create(model="viduq3p-720p", prompt="a fox", extra_headers={"Prefer": "job=fail"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            done = client.videos.poll(video.id, poll_interval_ms=1)
    assert done.status == "failed"
    first, second = video_api.assert_requested(2, endpoint="create")
    assert (first.status, first.injected, second.status) == (429, "rule:429", 200)
