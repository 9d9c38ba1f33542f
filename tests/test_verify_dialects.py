"""Dialect detection: a small fake speaking new-api's shapes (CONTRACT section 2, "Dialects") is recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.verify.dialects import DIALECTS, legal_move
from tests.verify_fakes import Exchange, fake_gateway, run_verify

_UPPER = {"queued": "QUEUED", "in_progress": "IN_PROGRESS", "completed": "SUCCESS", "failed": "FAILURE"}


def _as_new_api(exchange: Exchange) -> None:
    """Reshape the mock's uniall answers into the new-api dialect's."""
    if exchange.headers.get("content-type") != "application/json":
        return
    body: Any = exchange.json
    if exchange.status >= 400:
        error = body["error"]
        if error["code"] == "task_not_found":
            exchange.set_json({"code": "task_not_exist", "message": "task_not_exist", "data": None}, status=400)
        elif exchange.status == 400:
            exchange.set_json({"code": error["code"], "message": error["message"], "data": None})
        else:
            message = f"{error['message']} (request id: 20261130184512000000001)"
            exchange.set_json({"error": {"message": message, "type": "new_api_error", "code": error["code"]}})
    elif exchange.is_create:
        exchange.set_json({**body, "object": "video"})
    elif exchange.is_poll:
        data = {
            "task_id": body["task_id"],
            "status": _UPPER[body["status"]],
            "progress": f"{body['progress']}%",
            "result_url": body.get("video_url"),
            "fail_reason": None,
            "submit_time": body["created_at"],
            "start_time": body["created_at"],
            "finish_time": body.get("completed_at", 0),
        }
        exchange.set_json({"code": "success", "message": "", "data": data})


def test_a_new_api_gateway_is_detected_and_passes(tmp_path: Path) -> None:
    with fake_gateway(_as_new_api) as fake:
        run = run_verify(fake.url, tmp_path)
    assert run.code == 0, run.stdout
    assert "dialect: new-api (detected from the answer to a request with no key)" in run.stdout
    assert run.report["dialect"] == "new-api"
    checks = {c["check"]: c for c in run.report["checks"]}
    assert checks["unknown task id"]["verdict"] == "pass" and "400" in checks["unknown task id"]["expected"]
    assert checks["video #1: downloads as an MP4"]["verdict"] == "pass"
    assert fake.count(lambda e: e.is_create and e.status == 200) == 1


def test_a_new_api_gateway_judged_as_uniall_drifts(tmp_path: Path) -> None:
    with fake_gateway(_as_new_api) as fake:
        run = run_verify(fake.url, tmp_path, "--dialect", "uniall", "--creates", "0")
    assert run.code == 1
    assert "dialect: uniall (chosen with --dialect; the answers look like new-api (try --dialect auto))" in run.stdout
    assert "error.type: 'new_api_error' is not one of" in run.drift_text()
    assert "no key: 401 | 401, error: 'param' is a required property" in run.drift_text()


def test_the_mock_judged_as_new_api_drifts(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--dialect", "new-api")
    assert run.code == 1
    assert "unknown task id | 404" in run.drift_text()
    assert "poll #1: new-api job shape | body: 'code' is a required property" in run.drift_text()


def test_answers_of_no_known_dialect_are_reported(tmp_path: Path) -> None:
    def plain(exchange: Exchange) -> None:
        exchange.headers = {"content-type": "text/plain"}
        exchange.body = b"nope"

    with fake_gateway(plain) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "0")
    assert run.code == 1
    assert "dialect (auto) | answers match neither dialect's error shapes" in run.drift_text()
    assert run.report["dialect"] == "uniall"


@pytest.mark.parametrize(
    ("before", "after", "legal"),
    [
        ("queued", "in_progress", True),
        ("queued", "completed", True),
        ("in_progress", "in_progress", True),
        ("in_progress", "queued", False),
        ("completed", "in_progress", False),
        ("failed", "completed", False),
    ],
)
def test_transitions_only_move_forward(before: str, after: str, legal: bool) -> None:
    assert legal_move(before, after) is legal


def test_uniall_shapes_are_the_packaged_schemas() -> None:
    from mockserver.contract import schema_validator
    from mockserver.verify.dialects import _validator

    uniall = DIALECTS["uniall"]
    assert _validator(uniall.poll) is schema_validator("job")
    assert _validator(uniall.task_error) is schema_validator("error")
