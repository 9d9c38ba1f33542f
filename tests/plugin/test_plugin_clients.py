"""Each kind of client against the face made for it: httpx, httpx2 and the OpenAI SDK in process,
requests, httpx2 and a subprocess over loopback. Faults reach each as that client's own errors."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import httpx2
import openai
import pytest
import requests
import respx

from mockserver.live.faults import MALFORMED_BODY
from pytest_plugin import VideoAPI, VideoServer
from tests.support.contract_checks import assert_conforms

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
FINAL = ("completed", "failed")
# A user's own base URL, on a host that does not exist: only the fake can answer it.
USER_BASE = "https://video-gateway.example.test/vidu"


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


def conforming(status: int, content: bytes) -> dict[str, Any]:
    body: dict[str, Any] = assert_conforms(status, content)
    return body


def assert_is_the_sample_video(status: int, content_type: str, content: bytes) -> None:
    assert (status, content_type) == (200, "video/mp4")
    assert content[4:8] == b"ftyp"


# -- httpx ---------------------------------------------------------------------------------
def test_httpx_client_runs_create_poll_download_on_its_own_base_url(video_api: VideoAPI) -> None:
    with httpx.Client(base_url=USER_BASE, headers=AUTH) as client:
        job = conforming(200, client.post("/v1/video/generations", json=TEXT).content)
        polls = 0
        while job["status"] not in FINAL and polls < 10:  # the client's own polling loop
            response = client.get(f"/v1/video/generations/{job['id']}")
            job, polls = conforming(response.status_code, response.content), polls + 1
        assert (job["status"], polls) == ("completed", 2)
        assert job["video_url"] == f"{USER_BASE}/v1/video/generations/{job['id']}/content"
        video = client.get(job["video_url"])
    assert_is_the_sample_video(video.status_code, video.headers["content-type"], video.content)
    video_api.assert_requested(1, mode="text-to-video")
    video_api.assert_requested(2, endpoint="poll", task_id=job["id"])


def test_respx_mock_routes_work_beside_video_api(video_api: VideoAPI, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("https://other-service.test/health").respond(204)
    with httpx.Client(headers=AUTH) as client:
        assert client.get("https://other-service.test/health").status_code == 204
        assert client.post(f"{USER_BASE}/v1/video/generations", json=TEXT).status_code == 200
    assert respx_mock.calls.call_count == 1 and len(video_api.journal) == 1


@pytest.mark.anyio
async def test_httpx_async_client(video_api: VideoAPI) -> None:
    async with httpx.AsyncClient(base_url=USER_BASE, headers=AUTH) as client:
        created = await client.post("/v1/video/generations", json=TEXT)
        task_id = conforming(created.status_code, created.content)["id"]
        video_api.complete(task_id)
        polled = await client.get(f"/v1/video/generations/{task_id}")
        assert conforming(polled.status_code, polled.content)["status"] == "completed"
        video_api.inject_fault("reset")
        with pytest.raises(httpx.ReadError):
            await client.post("/v1/video/generations", json=TEXT)


# -- httpx2 --------------------------------------------------------------------------------
def test_httpx2_client_is_intercepted_too(video_api: VideoAPI) -> None:
    with httpx2.Client(base_url=USER_BASE, headers=AUTH) as client:
        created = client.post("/v1/video/generations", json=TEXT)
        task_id = conforming(created.status_code, created.content)["id"]
        statuses = [conforming(200, client.get(f"/v1/video/generations/{task_id}").content)["status"] for _ in "ab"]
        video = client.get(f"/v1/video/generations/{task_id}/content")
    assert statuses == ["in_progress", "completed"]
    assert_is_the_sample_video(video.status_code, video.headers["content-type"], video.content)
    assert [e.endpoint for e in video_api.journal] == ["create", "poll", "poll", "content"]


HTTPX2_FAULTS = [
    ("reset", httpx2.ReadError, "[Errno 104] Connection reset by peer"),
    ("empty", httpx2.RemoteProtocolError, "Server disconnected without sending a response."),
    ("timeout", httpx2.ReadTimeout, "timed out"),
]


@pytest.mark.parametrize(("fault", "error", "message"), HTTPX2_FAULTS)
def test_faults_reach_httpx2_as_httpx2_errors(
    video_api: VideoAPI, fault: str, error: type[Exception], message: str
) -> None:
    video_api.inject_fault(fault)  # type: ignore[arg-type]
    with httpx2.Client(base_url=USER_BASE, headers=AUTH) as client, pytest.raises(error) as raised:
        client.post("/v1/video/generations", json=TEXT)
    assert str(raised.value) == message


@pytest.mark.anyio
@pytest.mark.parametrize(("fault", "error", "message"), HTTPX2_FAULTS)
async def test_httpx2_async_client_sees_answers_and_faults(
    video_api: VideoAPI, fault: str, error: type[Exception], message: str
) -> None:
    async with httpx2.AsyncClient(base_url=USER_BASE, headers=AUTH) as client:
        created = await client.post("/v1/video/generations", json=TEXT)
        assert conforming(created.status_code, created.content)["status"] == "queued"
        video_api.inject_fault(fault, endpoint="poll")  # type: ignore[arg-type]
        with pytest.raises(error) as raised:
            await client.get(f"/v1/video/generations/{created.json()['id']}")
        assert str(raised.value) == message
        video_api.inject_fault("malformed")
        malformed = await client.post("/v1/video/generations", json=TEXT)
        assert (malformed.status_code, malformed.content) == (200, MALFORMED_BODY)


# -- the OpenAI SDK as a generic client ---------------------------------------------------------
def sdk(max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{USER_BASE}/v1", api_key="sk-test", max_retries=max_retries)


def test_openai_sdk_creates_and_polls_in_process(video_api: VideoAPI) -> None:
    with sdk() as client:
        raw = client.post("/video/generations", body=TEXT, cast_to=httpx2.Response)
        assert isinstance(raw, httpx2.Response)
        job = conforming(raw.status_code, raw.content)
        polled = client.get(f"/video/generations/{job['id']}", cast_to=dict[str, Any])
    assert conforming(200, json.dumps(polled).encode())["status"] == "in_progress"
    (entry, _) = video_api.journal
    assert entry.headers["user-agent"].startswith("OpenAI/Python")
    assert entry.headers["authorization"] == "Bearer [redacted]"


@pytest.mark.parametrize(
    ("fault", "error", "cause"),
    [
        ("reset", openai.APIConnectionError, httpx2.ReadError),
        ("empty", openai.APIConnectionError, httpx2.RemoteProtocolError),
        ("timeout", openai.APITimeoutError, httpx2.ReadTimeout),
    ],
)
def test_faults_reach_the_openai_sdk_as_its_errors(
    video_api: VideoAPI, fault: str, error: type[Exception], cause: type[Exception]
) -> None:
    video_api.inject_fault(fault)  # type: ignore[arg-type]
    with sdk() as client, pytest.raises(error) as raised:
        client.post("/video/generations", body=TEXT, cast_to=dict[str, Any])
    assert isinstance(raised.value.__cause__, cause)


def test_openai_sdk_reports_injected_errors_with_their_code(video_api: VideoAPI) -> None:
    video_api.queue_failure(429)
    with sdk() as client, pytest.raises(openai.RateLimitError) as raised:
        client.post("/video/generations", body=TEXT, cast_to=dict[str, Any])
    assert (raised.value.status_code, raised.value.code) == (429, "rate_limit_exceeded")


@pytest.mark.video_api(retry_after_ms=1)  # the SDK waits retry-after-ms: 1 ms instead of 200
def test_openai_sdk_retries_a_queued_503_and_succeeds(video_api: VideoAPI) -> None:
    video_api.queue_failure(503)
    with sdk(max_retries=1) as client:
        job = client.post("/video/generations", body=TEXT, cast_to=dict[str, Any])
    assert job["status"] == "queued"
    first, second = video_api.assert_requested(2)
    assert (first.status, first.injected, second.status, second.injected) == (503, "rule:503", 200, None)


@pytest.mark.anyio
async def test_async_openai_sdk(video_api: VideoAPI) -> None:
    async with openai.AsyncOpenAI(base_url=f"{USER_BASE}/v1", api_key="sk-test", max_retries=0) as client:
        job = await client.post("/video/generations", body=TEXT, cast_to=dict[str, Any])
        video_api.complete(job["id"])
        done = await client.get(f"/video/generations/{job['id']}", cast_to=dict[str, Any])
    assert done["status"] == "completed"


# -- over loopback: requests, httpx2, another process ----------------------------------------------
def test_requests_against_the_live_server(video_server: VideoServer) -> None:
    with requests.Session() as session:
        session.headers.update(AUTH)
        created = session.post(f"{video_server.url}/v1/video/generations", json=TEXT, timeout=5)
        task_id = conforming(created.status_code, created.content)["id"]
        for _ in range(2):
            polled = session.get(f"{video_server.url}/v1/video/generations/{task_id}", timeout=5)
        job = conforming(polled.status_code, polled.content)
        video = session.get(job["video_url"], timeout=5)
    assert job["video_url"].startswith(f"{video_server.url}/")
    assert_is_the_sample_video(video.status_code, video.headers["content-type"], video.content)
    video_server.assert_requested(1, model="viduq3p-720p")


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("reset", requests.ConnectionError),
        ("empty", requests.ConnectionError),
        ("timeout", requests.ReadTimeout),
        ("malformed", requests.JSONDecodeError),
    ],
)
def test_faults_reach_requests_as_its_errors(video_server: VideoServer, fault: str, error: type[Exception]) -> None:
    video_server.inject_fault(fault)  # type: ignore[arg-type]
    with pytest.raises(error):
        response = requests.post(f"{video_server.url}/v1/video/generations", json=TEXT, headers=AUTH, timeout=0.3)
        response.json()


def test_httpx2_against_the_live_server(video_server: VideoServer) -> None:
    video_server.inject_fault("reset")
    with httpx2.Client(base_url=video_server.url, headers=AUTH) as client:
        with pytest.raises(httpx2.ReadError):
            client.post("/v1/video/generations", json=TEXT)
        created = client.post("/v1/video/generations", json=TEXT)
    assert conforming(created.status_code, created.content)["status"] == "queued"


def test_a_subprocess_uses_the_live_server(video_server: VideoServer) -> None:
    code = (
        "import json, sys, urllib.request\n"
        "request = urllib.request.Request(sys.argv[1] + '/v1/video/generations', method='POST',\n"
        "    data=json.dumps({'model': 'viduq3t-720p', 'image': 'https://example.com/a.png'}).encode(),\n"
        "    headers={'Authorization': 'Bearer sk-child', 'Content-Type': 'application/json'})\n"
        "print(urllib.request.urlopen(request, timeout=5).read().decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, video_server.url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert conforming(200, out.stdout.encode())["model"] == "viduq3t-720p"
    video_server.assert_requested(1, mode="image-to-video")
