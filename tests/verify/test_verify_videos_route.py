"""`mockserver verify` on `POST /v1/videos`: three free refusals, and the last of two or more creates sent
as the OpenAI SDK's form, against the mock in each dialect (no drift); a gateway that creates on a bad
form is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.verify.videos_plan import VIDEOS_BAD_BODIES, uses_videos_route
from tests.support.verify_fakes import Exchange, fake_gateway, run_verify

# Each test serves a fake gateway and runs a whole verification: out of the fast inner loop.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_the_mock_passes_the_videos_checks_in_each_dialect(tmp_path: Path, dialect: str) -> None:
    with fake_gateway(dialect=dialect) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "2")
    assert run.code == 0, run.stdout
    checks = {c["check"]: c["verdict"] for c in run.report["checks"]}
    for bad in VIDEOS_BAD_BODIES:
        assert checks[f"bad body: /v1/videos: {bad.rule}"] == "pass"
    assert checks["create #2: image-to-video on viduq3t-540p"] == "pass"
    assert checks["video #2: downloads as an MP4"] == "pass"
    form = next(e for e in fake.exchanges if e.path == "/v1/videos" and e.status == 200)
    assert form.request_headers["content-type"].startswith("multipart/form-data; boundary=")


def test_a_gateway_that_accepts_a_broken_form_drifts(tmp_path: Path) -> None:
    def accepting(exchange: Exchange) -> None:
        if exchange.path == "/v1/videos" and exchange.status == 400:
            exchange.set_json({"id": "task_x", "status": "queued"}, status=200)

    with fake_gateway(accepting) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "0")
    assert run.code == 1
    assert "a body the contract refuses was accepted" in run.drift_text()


def test_only_the_last_of_two_or_more_creates_takes_the_route() -> None:
    assert [uses_videos_route(n, 1) for n in (1,)] == [False]
    assert [uses_videos_route(n, 3) for n in (1, 2, 3)] == [False, False, True]
