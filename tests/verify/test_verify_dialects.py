"""Dialect detection: the mock started in the new-api dialect (CONTRACT section 2, "Dialects") is recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.verify.expectations import DIALECTS, legal_move
from tests.support.verify_fakes import Exchange, fake_gateway, run_verify

# Each test serves a fake gateway and runs a whole verification: out of the fast inner loop.
pytestmark = pytest.mark.slow


def test_a_new_api_gateway_is_detected_and_passes(tmp_path: Path) -> None:
    with fake_gateway(dialect="new-api") as fake:
        run = run_verify(fake.url, tmp_path)
    assert run.code == 0, run.stdout
    assert "dialect: new-api (detected from the answer to a request with no key)" in run.stdout
    assert run.report["dialect"] == "new-api"
    checks = {c["check"]: c for c in run.report["checks"]}
    assert checks["unknown task id"]["verdict"] == "pass" and "400" in checks["unknown task id"]["expected"]
    assert checks["video #1: downloads as an MP4"]["verdict"] == "pass"
    assert fake.count(lambda e: e.is_create and e.status == 200) == 1


def test_a_new_api_gateway_judged_as_uniall_drifts(tmp_path: Path) -> None:
    with fake_gateway(dialect="new-api") as fake:
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


@pytest.mark.parametrize("name", list(DIALECTS))
def test_each_dialects_shapes_are_the_files_the_mock_answers_by(name: str) -> None:
    from mockserver.contract.dialects import dialect_named

    files = dialect_named(name).schemas
    verifier = DIALECTS[name]
    named = {
        "create": files.created,
        "poll": files.generations,
        "auth_error": files.errors[0],
        "task_error": files.errors[min(1, len(files.errors) - 1)],
    }
    for part, file in named.items():
        assert f"{getattr(verifier, part).name}.schema.json" == file, part
    status, code = (400, "task_not_exist") if name == "new-api" else (404, "task_not_found")
    assert (verifier.unknown_task_status, verifier.unknown_task_code) == (status, code)


def test_a_new_api_success_without_its_result_url_is_named(tmp_path: Path) -> None:
    def no_result_url(exchange: Exchange) -> None:
        if exchange.is_poll and exchange.status == 200 and exchange.json["data"]["status"] == "SUCCESS":
            body = exchange.json
            del body["data"]["result_url"]
            exchange.set_json(body)

    with fake_gateway(no_result_url, dialect="new-api") as fake:
        run = run_verify(fake.url, tmp_path)
    assert run.code == 1, run.stdout
    assert run.report["dialect"] == "new-api"
    assert "poll #1: video URL on a completed job | data.result_url None" in run.drift_text()
    assert "data: 'result_url' is a required property" in run.drift_text()
    assert fake.count(lambda e: e.path.endswith("/content")) == 0, "no video is fetched without a URL"
