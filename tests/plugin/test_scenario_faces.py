"""A scenario plays the same through both fixtures, and the OpenAI SDK's own retries ride out 429/503 scenarios."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings

from mockserver.contract.data.catalogue import COLLECTION
from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.scenario import Scenario
from pytest_plugin.strategies import scenarios
from tests.support.scenario_clients import GaveUp, JobFailed, VideoClient

API_BASE = "https://video-gateway.example.test"
AUTH = {"Authorization": "Bearer sk-test"}
FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=25)
TLS = ssl.create_default_context()  # built once: a client per example would load the CA bundle each time


def transcript(http: httpx.Client, control: VideoAPI | VideoServer, scenario: Scenario) -> list[Any]:
    """What a careful client saw and how it ended, and what the journal recorded, for one scenario."""
    with control.play(scenario):
        client = VideoClient(http)
        try:
            ending: str = f"video of {len(client.generate())} bytes"
        except (JobFailed, GaveUp) as stopped:
            ending = f"{type(stopped).__name__}: {stopped}"
    journal = [(e.endpoint, e.status, e.injected) for e in control.journal]
    return [client.seen.answers, ending.replace(client.seen.task_id or "-", "<task>"), journal]


# `timeout` is left out: the live server holds the connection until the client gives up (real
# seconds); the explicit example below plays it once. `delay` is real time on the live side too.
@pytest.mark.video_api(base_url=API_BASE, timeout_fault_seconds=2)
@FIXTURES
@given(scenarios(faults=("reset", "empty", "malformed"), max_delay_ms=5, max_steps=4))
def test_a_scenario_gives_the_same_answers_through_both_fixtures(
    video_api: VideoAPI, video_server: VideoServer, scenario: Scenario
) -> None:
    video_api.router.route(host="127.0.0.1").pass_through()  # the live server's traffic goes to it
    with httpx.Client(base_url=API_BASE, headers=AUTH, verify=TLS) as fake:
        in_process = transcript(fake, video_api, scenario)
    with httpx.Client(base_url=video_server.url, headers=AUTH, timeout=5) as live:
        on_the_wire = transcript(live, video_server, scenario)
    assert in_process == on_the_wire


@pytest.mark.video_api(base_url=API_BASE, timeout_fault_seconds=2)
def test_a_timeout_step_is_a_read_timeout_through_both(video_api: VideoAPI, video_server: VideoServer) -> None:
    scenario = Scenario.parse("poll: timeout then ok; job 1: fails generation_failed")
    video_api.router.route(host="127.0.0.1").pass_through()
    with httpx.Client(base_url=API_BASE, headers=AUTH, verify=TLS) as fake:
        in_process = transcript(fake, video_api, scenario)
    with httpx.Client(base_url=video_server.url, headers=AUTH, timeout=0.2) as live:
        on_the_wire = transcript(live, video_server, scenario)
    assert in_process == on_the_wire
    # The poll that timed out still counted on the server: the retry already sees the job's end.
    assert in_process[:2] == [["200", "ReadTimeout", "200"], "JobFailed: generation_failed"]


@pytest.mark.video_api(retry_after_ms=1)  # 429 and 503 carry retry-after-ms: 1 ms, so the SDK's waits are short
@FIXTURES
@given(
    scenario=scenarios(
        endpoints=("create", "poll"),
        errors=("429", "503"),
        faults=(),
        max_delay_ms=0,
        outcomes="completes",
        max_steps=2,
    )
)
def test_openai_sdk_retries_ride_out_429_and_503_scenarios(
    video_api: VideoAPI, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("openai._base_client.time.sleep", waits.append)  # record the SDK's waits, sleep none
    with video_api.play(scenario), openai.OpenAI(base_url=f"{API_BASE}/v1", api_key="sk-test", max_retries=2) as sdk:
        job = sdk.post("/video/generations", body={"model": "viduq3p-720p", "prompt": "a fox"}, cast_to=dict[str, Any])
        for _ in range(6):
            job = sdk.get(f"/video/generations/{job['id']}", cast_to=dict[str, Any])
            if job["status"] == "completed":
                break
    assert job["status"] == "completed"
    injected = [e.status for e in video_api.journal if e.injected]
    assert all(status in (429, 503) for status in injected)
    assert waits == [0.001] * len(injected)  # one retry per injected answer, each waiting retry-after-ms


@pytest.mark.video_api(base_url=API_BASE, dialect="new-api")
def test_a_scenario_plays_in_the_new_api_dialect(video_api: VideoAPI) -> None:
    scenario = Scenario.parse(
        "create: 429 then ok; poll: 503 then ok; content: 503 then ok; job 1: completes after 1 poll"
    )
    with httpx.Client(base_url=API_BASE, headers=AUTH, verify=TLS) as http, video_api.play(scenario):
        statuses = [http.post(COLLECTION, json={"model": "viduq3p-720p", "prompt": "a fox"}).status_code]
        created = http.post(COLLECTION, json={"model": "viduq3p-720p", "prompt": "a fox"})
        task_id = created.json()["id"]
        statuses += [created.status_code] + [http.get(f"{COLLECTION}/{task_id}").status_code for _ in range(2)]
        statuses += [http.get(f"{COLLECTION}/{task_id}/content").status_code for _ in range(2)]
    assert statuses == [429, 200, 503, 200, 503, 200]
    assert video_api.task(task_id).view(video_api.now()).status == "completed"
    journal = [(e.endpoint, e.status, e.injected is not None) for e in video_api.journal]
    assert journal == [
        ("create", 429, True),
        ("create", 200, False),
        ("poll", 503, True),
        ("poll", 200, False),
        ("content", 503, True),
        ("content", 200, False),
    ]
