"""`scenarios()` in the `vidu` dialect: Vidu's reasons scripted, answered in Vidu's shape, jobs ending as planned."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from pytest_plugin import VideoAPI
from pytest_plugin.strategies import Scenario, scenarios

AUTH = {"Authorization": "Token scenario-key"}
BASE = "https://api.vidu.com"
REASONS = ("CreditInsufficient", "AuditSubmitIllegal", "ImageDownloadFailure", "QuotaExceeded")
STATES = {"succeed": "success", "fail": "failed", "stall": "processing"}


@pytest.mark.video_api(dialect="vidu", base_url=BASE)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios(endpoints="create", errors=REASONS, faults=(), max_delay_ms=1))
def test_a_scripted_vidu_scenario_plays_as_written(video_api: VideoAPI, scenario: Scenario) -> None:
    video_api.reset()
    created: list[str] = []  # the scenario's job ends apply to the tasks created, in order
    with video_api.play(scenario), httpx.Client(base_url=BASE, headers=AUTH) as client:
        for step in scenario.create:
            answer = client.post("/ent/v2/text2video", json={"model": "viduq3-pro", "prompt": "a fox"})
            if step.error is None:
                assert answer.status_code == 200 and answer.json()["state"] == "created"
                created.append(answer.json()["task_id"])
                continue
            body = answer.json()
            assert (body["reason"], body["code"], answer.status_code) == (step.error, answer.status_code, body["code"])
            assert body["metadata"]["trace_id"]
        while len(created) < len(scenario.jobs):
            created.append(
                client.post("/ent/v2/text2video", json={"model": "viduq3-pro", "prompt": "a fox"}).json()["task_id"]
            )
        for job, task_id in zip(scenario.jobs, created, strict=False):
            polls = [client.get(f"/ent/v2/tasks/{task_id}/creations").json() for _ in range(job.polls)]
            assert polls[-1]["state"] == STATES[job.outcome], (job, polls)
