"""The core pieces scenarios are played with: rules by position (`after`), the content endpoint, job plans."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, MockControl, Outgoing, Router, Settings
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.jobs.plans import JobPlan

CREATE = "/v1/video/generations"
TEXT = {"model": "viduq3p-540p", "prompt": "a fox"}
AUTH = {"Authorization": "Bearer sk-a"}


def engine(**settings: Any) -> ContractEngine:
    return ContractEngine(Settings(**{"lifecycle": "step", **settings}), ManualClock())


def post(api: ContractEngine) -> Outgoing:
    headers = {**AUTH, "Content-Type": "application/json"}
    return api.handle(Incoming("POST", CREATE, headers, json.dumps(TEXT).encode()))


def get(api: ContractEngine, path: str) -> Outgoing:
    return api.handle(Incoming("GET", path, AUTH))


def statuses_until_final(api: ContractEngine, task_id: str, limit: int = 10) -> list[str]:
    seen: list[str] = []
    while len(seen) < limit:
        seen.append(get(api, f"{CREATE}/{task_id}").json()["status"])
        if seen[-1] in ("completed", "failed"):
            break
    return seen


def test_after_lets_requests_through_and_holds_the_rules_behind_it() -> None:
    api = engine()
    control = MockControl(api)
    control.queue_failure(503, after=1)  # the 2nd create
    control.queue_failure(fault="malformed", after=1)  # the 4th: waits behind the first rule
    assert [post(api).status for _ in range(3)] == [200, 503, 200]
    fourth = post(api)
    assert fourth.fault == "malformed"
    assert post(api).status == 200 and not control.pending_failures
    assert [e.injected for e in control.journal] == [None, "rule:503", None, "rule:malformed", None]


@pytest.mark.parametrize("after", [-1, True, 10_001, "1"])
def test_a_bad_after_is_refused(after: Any) -> None:
    with pytest.raises(ValueError, match="after must be an integer"):
        FailureRule("503", after=after)


def test_the_content_endpoint_takes_rules_and_is_journaled() -> None:
    api = engine()
    control = MockControl(api)
    task_id = post(api).json()["id"]
    control.complete(task_id)
    control.queue_failure(502, endpoint="content")
    control.queue_failure(503, endpoint="poll")  # not for the download
    assert get(api, f"{CREATE}/{task_id}/content").status == 502
    video = get(api, f"{CREATE}/{task_id}/content")
    assert (video.status, video.headers["Content-Type"]) == (200, "video/mp4")
    assert get(api, f"{CREATE}/task_missing/content").status == 404
    downloads = control.requests("content")
    assert [(e.status, e.injected, e.model) for e in downloads] == [
        (502, "rule:502", "viduq3p-540p"),
        (200, None, "viduq3p-540p"),
        (404, None, None),
    ]
    assert len(control.pending_failures) == 1


def test_job_plans_decide_how_the_next_jobs_end_in_order() -> None:
    api = engine()
    control = MockControl(api)
    control.plan_job("fail", polls=1)
    control.plan_job("succeed", polls=4)
    control.plan_job("stall")
    first, second, third, fourth = (post(api).json()["id"] for _ in range(4))
    assert statuses_until_final(api, first) == ["failed"]
    assert statuses_until_final(api, second) == ["in_progress"] * 3 + ["completed"]
    assert statuses_until_final(api, third, limit=5) == ["in_progress"] * 5
    assert statuses_until_final(api, fourth) == ["in_progress", "completed"]  # no plan left: the default
    assert not control.pending_jobs


def test_progress_grows_over_the_planned_polls() -> None:
    api = engine()
    MockControl(api).plan_job(polls=5)
    task_id = post(api).json()["id"]
    progress = [get(api, f"{CREATE}/{task_id}").json()["progress"] for _ in range(5)]
    assert progress == [20, 40, 60, 80, 100]


def test_prefer_job_wins_over_a_plan_and_uses_it_up() -> None:
    api = engine()
    control = MockControl(api)
    control.plan_job("stall")
    headers = {**AUTH, "Content-Type": "application/json", "Prefer": "job=fail"}
    task_id = api.handle(Incoming("POST", CREATE, headers, json.dumps(TEXT).encode())).json()["id"]
    assert statuses_until_final(api, task_id) == ["in_progress", "failed"]
    assert not control.pending_jobs


def test_reset_drops_job_plans() -> None:
    api = engine()
    control = MockControl(api)
    control.plan_job("fail")
    control.reset()
    assert control.pending_jobs == []


@pytest.mark.parametrize(
    ("outcome", "polls", "message"),
    [("explode", 2, "outcome must be one of succeed, fail, stall"), ("fail", 0, "polls must be an integer")],
)
def test_a_bad_plan_is_refused(outcome: Any, polls: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobPlan(outcome, polls)


def test_job_plans_over_the_admin_api() -> None:
    api = Router(engine())
    admin = {"Content-Type": "application/json"}
    created = api.handle(Incoming("POST", "/__mock/jobs", admin, b'{"outcome": "fail", "polls": 3}'))
    assert (created.status, created.json()) == (201, {"outcome": "fail", "polls": 3})
    bad = api.handle(Incoming("POST", "/__mock/jobs", admin, b'{"outcome": "later"}'))
    assert (bad.status, bad.json()["error"]["code"]) == (400, "invalid_value")
    assert api.handle(Incoming("GET", "/__mock/jobs")).json() == {"plans": [{"outcome": "fail", "polls": 3}]}
    assert api.handle(Incoming("DELETE", "/__mock/jobs")).json() == {"plans": []}
    assert api.handle(Incoming("PUT", "/__mock/jobs")).status == 405
