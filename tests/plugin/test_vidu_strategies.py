"""The `vidu` strategies agree with the mock: valid bodies are created, invalid ones refused as promised."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from mockserver.contract.data.schemas import schema_validator
from pytest_plugin import VideoAPI
from pytest_plugin.strategies import (
    InvalidViduRequest,
    ViduRequest,
    invalid_vidu_create_requests,
    vidu_create_requests,
    vidu_tasks,
)

AUTH = {"Authorization": "Token strategy-key"}
VIDU = pytest.mark.video_api(dialect="vidu", base_url="https://api.vidu.com")
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@VIDU
@QUICK
@given(request=vidu_create_requests())
def test_every_valid_body_is_created(video_api: VideoAPI, request: ViduRequest) -> None:
    answer = httpx.post(f"https://api.vidu.com{request.path}", json=request.body, headers=AUTH)
    assert answer.status_code == 200, (request, answer.json())
    assert answer.json()["state"] == "created" and answer.json()["model"] == request.body["model"]


@VIDU
@QUICK
@given(request=invalid_vidu_create_requests())
def test_every_invalid_body_is_refused_as_promised(video_api: VideoAPI, request: InvalidViduRequest) -> None:
    answer = httpx.post(f"https://api.vidu.com{request.path}", json=request.body, headers=AUTH)
    body = answer.json()
    assert (answer.status_code, body["reason"]) == (request.status, request.reason), (request, body)
    assert body["message"].split(": ", 1)[1].split(", ")[0] == request.field, (request, body)


@settings(max_examples=80, deadline=None)
@given(task=vidu_tasks())
def test_every_drawn_poll_answer_fits_the_task_schema(task: dict[str, object]) -> None:
    errors = [e.message for e in schema_validator("dialects/vidu/task").iter_errors(task)]
    assert errors == []


@pytest.mark.parametrize("state", ["queueing", "processing", "success", "failed"])
def test_a_pinned_state_is_the_only_one_drawn(state: str) -> None:
    @settings(max_examples=10, deadline=None)
    @given(task=vidu_tasks(state=state))
    def check(task: dict[str, object]) -> None:
        assert task["state"] == state

    check()


def test_an_unknown_route_or_state_is_refused_by_name() -> None:
    from hypothesis.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="text2video"):
        vidu_create_requests("text-to-video").example()
    with pytest.raises(InvalidArgument, match="queueing"):
        vidu_tasks("done")
