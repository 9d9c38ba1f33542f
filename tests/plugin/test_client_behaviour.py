"""One behaviour table over every client `video_api` serves in process: httpx, requests and aiohttp.

Create, poll, download, each fault, delays, queued errors, plans, scenarios, both dialects
and the near-miss message: the same expectations for each client, with that client's own
exceptions where a real one raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import requests
import respx

from mockserver.contract.injection.decision import MALFORMED_BODY
from mockserver.contract.replay.format import Exchange
from mockserver.recordings.folder import RecordingWriter
from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.client_seam import HangsForeverError
from pytest_plugin.scenario import JobEnd, Scenario, Step
from tests.support.client_kinds import CLIENTS, FAULT_ERRORS, JSON_ERRORS, TIMEOUT_ERRORS, Client, client_named
from tests.support.contract_checks import assert_conforms

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
IMAGE = {"model": "viduq3t-540p", "image": "https://example.com/a.png"}
# A user's own base URL on a host that does not exist: only the fake can answer it.
BASE = "https://video-gateway.example.test/vidu"
CREATE = f"{BASE}/v1/video/generations"
FIXED_REPLY = json.dumps(
    {"object": "video.generation.job", "model": "viduq3p-720p", "status": "queued", "progress": 0, "created_at": 1}
)


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> Iterator[Client]:
    with client_named(request.param) as made:
        yield made


def create(client: Client, body: object = TEXT) -> str:
    reply = client.send("POST", CREATE, json_body=body, headers=AUTH)
    assert reply.status == 200, reply.body
    task_id: str = assert_conforms(reply.status, reply.body)["id"]
    return task_id


def poll(client: Client, task_id: str) -> dict[str, object]:
    reply = client.send("GET", f"{CREATE}/{task_id}", headers=AUTH)
    job: dict[str, object] = assert_conforms(reply.status, reply.body)
    return job


def test_create_poll_to_completed_and_download_the_video(client: Client, video_api: VideoAPI) -> None:
    task_id = create(client)
    job = poll(client, task_id)
    polls = 1
    while job["status"] not in ("completed", "failed") and polls < 10:  # the client's own loop
        job, polls = poll(client, task_id), polls + 1
    assert (job["status"], polls) == ("completed", 2)
    assert job["video_url"] == f"{CREATE}/{task_id}/content"  # keeps the client's host and prefix
    video = client.download(str(job["video_url"]), AUTH)
    assert (video.status, video.headers["content-type"]) == (200, "video/mp4")
    assert video.body[4:8] == b"ftyp" and int(video.headers["content-length"]) == len(video.body)
    head = client.send("HEAD", str(job["video_url"]), headers=AUTH)  # the GET's headers, no body
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", str(len(video.body)))
    video_api.assert_requested(1, mode="text-to-video")
    video_api.assert_requested(2, endpoint="poll", task_id=task_id)
    video_api.assert_requested(2, endpoint="content", task_id=task_id)


@pytest.mark.parametrize("fault", ["reset", "empty", "timeout"])
def test_a_fault_raises_the_clients_own_error_and_the_next_call_succeeds(
    client: Client, video_api: VideoAPI, fault: str
) -> None:
    video_api.inject_fault(fault)  # type: ignore[arg-type]
    with pytest.raises(FAULT_ERRORS[client.name][fault]):
        client.send("POST", CREATE, json_body=TEXT, headers=AUTH, timeout=0.5)
    create(client)
    video_api.assert_requested(2)
    assert [entry.injected for entry in video_api.journal] == [f"rule:{fault}", None]


def test_reset_is_a_connection_error_of_each_client(client: Client, video_api: VideoAPI) -> None:
    # What the issue promises for each family: requests' ConnectionError, aiohttp's ClientConnectionError.
    families = {"requests": requests.exceptions.ConnectionError, "aiohttp": aiohttp.ClientConnectionError}
    video_api.inject_fault("reset")
    with pytest.raises(families.get(client.name, Exception)):
        client.send("POST", CREATE, json_body=TEXT, headers=AUTH)


def test_the_timeout_fault_on_a_call_without_a_timeout_fails_the_test(client: Client, video_api: VideoAPI) -> None:
    video_api.inject_fault("timeout")
    with pytest.raises(HangsForeverError, match="set no timeout, so against the real API it would wait for ever"):
        client.send("POST", CREATE, json_body=TEXT, headers=AUTH, timeout=None)


def test_malformed_is_a_200_whose_json_the_client_cannot_decode(client: Client, video_api: VideoAPI) -> None:
    video_api.inject_fault("malformed")
    reply = client.send("POST", CREATE, json_body=TEXT, headers=AUTH)
    assert (reply.status, reply.headers["content-type"], reply.body) == (200, "application/json", MALFORMED_BODY)
    video_api.inject_fault("malformed")
    with pytest.raises(JSON_ERRORS[client.name]):
        client.post_json(CREATE, TEXT, AUTH)


def test_a_delay_is_recorded_not_slept_and_times_out_past_the_clients_limit(
    client: Client, video_api: VideoAPI
) -> None:
    video_api.inject_latency(30_000)
    with pytest.raises(TIMEOUT_ERRORS[client.name]):
        client.send("POST", CREATE, json_body=TEXT, headers=AUTH, timeout=2)
    video_api.inject_latency(1_000)
    create(client)  # shorter than the limit: answered, at once
    video_api.inject_latency(20_000)
    # A call with no timeout waits out any delay: answered (a delay is finite, unlike the timeout fault).
    assert client.send("POST", CREATE, json_body=TEXT, headers=AUTH, timeout=None).status == 200
    assert [d.delay_ms for d in video_api.delays] == [30_000, 1_000, 20_000]


def test_a_queued_429_arrives_with_retry_after(client: Client, video_api: VideoAPI) -> None:
    video_api.queue_failure("429")
    reply = client.send("POST", CREATE, json_body=TEXT, headers=AUTH)
    assert reply.status == 429 and reply.headers["retry-after"].isdigit()
    assert assert_conforms(reply.status, reply.body)["error"]["code"]
    create(client)


def test_a_planned_failure_and_a_scenario_play_out(client: Client, video_api: VideoAPI) -> None:
    video_api.plan_job("fail", polls=1)
    assert poll(client, create(client))["status"] == "failed"
    scenario = Scenario(create=(Step(error="503"), Step(fault="empty")), jobs=(JobEnd("succeed", polls=1),))
    with video_api.play(scenario):
        assert client.send("POST", CREATE, json_body=TEXT, headers=AUTH).status == 503
        with pytest.raises(FAULT_ERRORS[client.name]["empty"]):
            client.send("POST", CREATE, json_body=TEXT, headers=AUTH)
        task_id = create(client)
        polls = 1
        while poll(client, task_id)["status"] != "completed" and polls < 5:
            polls += 1
    # The create lost to `empty` still made a job (the server's work was done): it took the plan.
    assert polls == 2


def test_a_multipart_form_is_read_from_the_bytes_the_client_wrote(client: Client, video_api: VideoAPI) -> None:
    upload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # every byte value, through each client's encoder
    reply = client.send(
        "POST",
        f"{BASE}/v1/videos",
        headers=AUTH,
        data={"model": "viduq3p-720p", "prompt": "a fox"},
        files={"input_reference": ("first.png", upload, "image/png")},
    )
    assert reply.status == 200, reply.body
    (entry,) = video_api.assert_requested(1, mode="image-to-video", model="viduq3p-720p")
    assert entry.body["input_reference"] == {"filename": "first.png", "content_type": "image/png", "bytes": len(upload)}


@pytest.mark.video_api(dialect="new-api")
def test_the_new_api_dialect_answers_in_its_shapes(client: Client, video_api: VideoAPI) -> None:
    reply = client.send("POST", CREATE, json_body=TEXT, headers=AUTH)
    created = reply.json()
    assert (reply.status, created["object"], created["status"]) == (200, "video", "queued")
    record = client.send("GET", f"{CREATE}/{created['id']}", headers=AUTH).json()
    assert (record["code"], record["data"]["status"]) == ("success", "IN_PROGRESS")


def test_a_near_miss_is_named(client: Client, video_api: VideoAPI) -> None:
    create(client, IMAGE)
    with pytest.raises(AssertionError) as failure:
        video_api.assert_requested(mode="text-to-video")
    assert re.fullmatch(
        r"expected at least 1 create request\(s\) with mode='text-to-video', got 0\.\n"
        r"Received:\n"
        r"  #\d+ POST /v1/video/generations -> 200 \(model='viduq3t-540p', mode='image-to-video'\) "
        r"near miss: mode is 'image-to-video', not 'text-to-video'",
        str(failure.value),
    ), str(failure.value)


def test_other_urls_are_not_mocked_and_reach_no_network(client: Client, video_api: VideoAPI) -> None:
    # respx's, responses' and our own "not mocked" errors: no request leaves the process.
    unmocked = {
        "httpx": respx.models.AllMockedAssertionError,
        "requests": requests.exceptions.ConnectionError,
        "aiohttp": aiohttp.ClientConnectionError,
    }
    with pytest.raises(unmocked[client.name], match=r"not mocked|doesn't match any registered mock"):
        client.send("GET", "https://video-gateway.example.test/health", headers=AUTH)
    assert video_api.journal == []


def test_the_live_server_is_reached_untouched(client: Client, video_api: VideoAPI, video_server: VideoServer) -> None:
    reply = client.send("POST", f"{video_server.url}/v1/video/generations", json_body=TEXT, headers=AUTH)
    assert reply.status == 200 and "x-mock-worker" in reply.headers  # only the live server adds it
    create(client)
    assert (len(video_server.journal), len(video_api.journal)) == (1, 1)


def test_a_recording_is_replayed_to_the_client(client: Client, video_api: VideoAPI, tmp_path: Path) -> None:
    recorded = {**json.loads(FIXED_REPLY), "id": "task_recorded", "task_id": "task_recorded"}
    RecordingWriter(tmp_path).write(
        Exchange(
            seq=0,
            method="POST",
            path="/v1/video/generations",
            status=200,
            request_headers={"content-type": "application/json"},
            request_body=json.dumps(TEXT).encode(),
            response_headers={"content-type": "application/json"},
            response_body=json.dumps(recorded).encode(),
            endpoint="create",
            task_id="task_recorded",
        )
    )
    with video_api.replay(tmp_path, match="loose"):
        reply = client.send("POST", CREATE, json_body=TEXT, headers=AUTH)
        assert (reply.status, reply.json()["id"]) == (200, "task_recorded")
        missed = client.send("POST", CREATE, json_body=IMAGE, headers=AUTH)
        message = missed.json()["error"]["message"]
        assert missed.status == 404 and "Closest recording: 0001-create.json" in message, message
        assert 'mode is "image-to-video" (recorded "text-to-video")' in message
    video_api.assert_requested(2)
