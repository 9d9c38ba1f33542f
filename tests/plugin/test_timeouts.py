"""A job can end as new-api's timeout sweep ends it (service/task_polling.go): failed, with
the reason text ("task timed out (N minutes)") in the poll, in each dialect's shape; by `Prefer: job=timeout`, a job plan or a scenario."""

from __future__ import annotations

import httpx
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.contract.data.schemas import schema_validator
from mockserver.contract.dialects import dialect_named
from pytest_plugin import VideoAPI
from pytest_plugin.scenario import JobEnd, Scenario, playing

API_BASE = "https://video-gateway.example.test"
AUTH = {"Authorization": "Bearer sk-test"}
BODY = {"model": "viduq3p-720p", "prompt": "a fox"}
REASON = "\u4efb\u52a1\u8d85\u65f6\uff0890\u5206\u949f\uff09"  # "task timed out (90 minutes)"
DIALECTS = [
    pytest.param(d, marks=pytest.mark.video_api(base_url=API_BASE, dialect=d, task_timeout_minutes=90), id=d)
    for d in GATEWAY_DIALECTS
]


def polled_to_the_end(client: httpx.Client, task_id: str) -> tuple[dict[str, object], dict[str, object]]:
    """The task's last poll on both routes (the step lifecycle ends it on the second)."""
    for _ in range(2):
        client.get(f"/v1/videos/{task_id}", headers=AUTH)
    return (
        client.get(f"/v1/videos/{task_id}", headers=AUTH).json(),
        client.get(f"/v1/video/generations/{task_id}", headers=AUTH).json(),
    )


def assert_timed_out(dialect: str, video: dict[str, object], legacy: dict[str, object]) -> None:
    assert video["status"] == "failed"
    if dialect == "new-api":
        assert video["progress"] == 100  # the sweep writes "100%" (a failed job stays under 100 in uniall)
        # The Vidu converter reads the upstream data the sweep leaves alone: no error; the record has the reason.
        assert "error" not in video
        record = legacy["data"]
        assert isinstance(record, dict)
        assert (record["status"], record["fail_reason"], record["progress"]) == ("FAILURE", REASON, "100%")
    else:
        assert video["error"] == {"code": "task_timeout", "message": REASON}
        assert legacy == video
    schemas = dialect_named(dialect).schemas
    schema_validator(schemas.job("videos").removesuffix(".schema.json")).validate(video)
    schema_validator(schemas.job("generations").removesuffix(".schema.json")).validate(legacy)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_prefer_job_timeout_ends_the_job_as_the_sweep_does(video_api: VideoAPI, dialect: str) -> None:
    with httpx.Client(base_url=API_BASE) as client:
        created = client.post("/v1/video/generations", json=BODY, headers={**AUTH, "Prefer": "job=timeout"})
        assert created.headers["Preference-Applied"] == "job=timeout"
        assert_timed_out(dialect, *polled_to_the_end(client, created.json()["id"]))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_job_plan_and_a_scenario_step_end_a_job_in_a_timeout(video_api: VideoAPI, dialect: str) -> None:
    with httpx.Client(base_url=API_BASE) as client, playing(video_api, Scenario.parse("job 2: times out after 1 poll")):
        video_api.plan_job("timeout")  # the scenario planned job 1 as normal; this plan comes after it
        normal = client.post("/v1/video/generations", json=BODY, headers=AUTH).json()["id"]
        assert polled_to_the_end(client, normal)[0]["status"] == "completed"
        planned = client.post("/v1/video/generations", json=BODY, headers=AUTH).json()["id"]
        assert_timed_out(dialect, *polled_to_the_end(client, planned))
        scripted = client.post("/v1/video/generations", json=BODY, headers=AUTH).json()["id"]
        assert_timed_out(dialect, *polled_to_the_end(client, scripted))


def test_the_story_words_round_trip() -> None:
    assert JobEnd.parse("times out") == JobEnd("timeout")
    assert str(JobEnd("timeout", 3)) == "times out after 3 polls"
