"""`mockserver verify` against the mock (no drift) and against fakes drifted one way each (that drift named)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.verify.plan import UNKNOWN_TASK
from mockserver.verify.probes import free_probes
from tests.support.verify_fakes import KEY, Exchange, Mutation, fake_gateway, run_verify

# Each test serves a fake gateway and runs a whole verification: out of the fast inner loop.
pytestmark = pytest.mark.slow

PROBES = len(free_probes())
#: The probes sent with --creates 0: those no gateway can start a job for.
FREE_REQUESTS = sum(1 for p in free_probes() if p.cost == "free")


def test_the_mock_itself_shows_no_drift_and_names_its_dialect(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "2")
    assert run.code == 0, run.stdout + run.stderr
    assert "dialect: uniall (detected from the answer to a request with no key)" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("no drift (0 drift, 0 incomplete, 0 skipped")
    assert run.report["dialect"] == "uniall" and run.report["creates_sent"] == 2
    assert {c["verdict"] for c in run.report["checks"]} == {"pass"}
    names = [c["check"] for c in run.report["checks"]]
    assert "video #1: downloads as an MP4" in names and "video #2: downloads as an MP4" in names
    assert names[PROBES].startswith("create #1: text-to-video")
    assert "in_progress 50%" in run.stderr, "progress is shown while polling"
    assert fake.count(lambda e: e.is_create and e.status == 200) == 2
    suite = run.junit_suite()
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) == len(names)


def _poll_job(mutate: Any) -> Mutation:
    def apply(exchange: Exchange) -> None:
        if exchange.is_poll and exchange.status == 200:
            exchange.set_json(mutate(exchange.json))

    return apply


def _status_words(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "status": {"in_progress": "processing", "completed": "succeeded"}.get(job["status"], job["status"])}


def _string_progress(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "progress": f"{job['progress']}%"}


def _no_video_url(job: dict[str, Any]) -> dict[str, Any]:
    """The rev 2 job keeps every key; only a completed job's `video_url` is null."""
    return {**job, "video_url": None} if job["status"] == "completed" else job


def _unfinished(job: dict[str, Any], progress: int) -> dict[str, Any]:
    """The rev 2 job still in progress at `progress`: no video, no result, no error, not completed."""
    none = dict.fromkeys(("video_url", "error", "result", "completed_at"))
    return {**job, **none, "status": "in_progress", "progress": progress}


def _videos_route_behind(exchange: Exchange) -> None:
    if exchange.method == "GET" and exchange.path.startswith("/v1/videos/task_") and exchange.status == 200:
        exchange.set_json(_unfinished(exchange.json, 50))


def _html_500_for_bad_bodies(exchange: Exchange) -> None:
    if exchange.is_create and exchange.status == 400:
        exchange.status, exchange.headers = 500, {"content-type": "text/html"}
        exchange.body = b"<html><body><h1>Internal Server Error</h1></body></html>"


def _wrong_model(exchange: Exchange) -> None:
    if exchange.is_create and exchange.status == 200:
        exchange.set_json({**exchange.json, "model": "viduq3t-540p"})


def _ok_for_bad_bodies(exchange: Exchange) -> None:
    if exchange.is_create and exchange.status == 400:
        job = {"id": "task_x", "task_id": "task_x", "object": "video.generation.job", "model": "viduq3p-720p"}
        exchange.set_json({**job, "status": "queued", "progress": 0, "created_at": 1774507626}, status=200)


def _progress_backwards() -> Mutation:
    polls = itertools.count(1)

    def apply(exchange: Exchange) -> None:
        if exchange.is_poll and exchange.status == 200 and next(polls) == 2:
            exchange.set_json(_unfinished(exchange.json, 10))

    return apply


# (mutation, what must appear in a DRIFT row, extra verify args)
DRIFTS: dict[str, tuple[Mutation, str, tuple[str, ...]]] = {
    "status words not the contract's": (_poll_job(_status_words), "poll #1: status word | status 'processing'", ()),
    "progress as a string": (_poll_job(_string_progress), "progress: '50%' is not of type 'integer'", ()),
    "no video_url on a completed job": (
        _poll_job(_no_video_url),
        "poll #1: video URL on a completed job | video_url None | video_url: None is not of type 'string'",
        (),
    ),
    "the /v1/videos route behind": (
        _videos_route_behind,
        "poll #1: /v1/videos/{id} agrees | status: 'in_progress', the other route says completed",
        (),
    ),
    "an HTML 500 for a bad body": (_html_500_for_bad_bodies, "bad body: model missing | 500 text/html", ()),
    "the wrong model echoed": (
        _wrong_model,
        "create #1: model echoed | 'viduq3t-540p' | model: 'viduq3t-540p' echoed for a request for 'viduq3p-720p'",
        (),
    ),
    "progress going backwards": (_progress_backwards(), "poll #1: progress never decreases | 10", ()),
    "a 200 for an invalid body": (
        _ok_for_bad_bodies,
        "bad body: body not JSON | 200 application/json",
        (),
    ),
}


@pytest.mark.parametrize("name", list(DRIFTS))
def test_each_drift_is_named_in_the_report(name: str, tmp_path: Path) -> None:
    mutate, named, args = DRIFTS[name]
    with fake_gateway(mutate) as fake:
        run = run_verify(fake.url, tmp_path, *args)
    assert run.code == 1, run.stdout + run.stderr
    assert named in run.drift_text(), run.drift_text()
    lines = run.stdout.splitlines()
    table = lines[lines.index("") + 3 :]
    assert table[0].endswith("DRIFT"), "drift comes first in the table"
    assert run.stdout.rstrip().splitlines()[-1].startswith("DRIFT FOUND")
    assert run.junit_suite().get("failures") == str(len(run.rows("DRIFT")))


def test_a_drifted_poll_stops_polling_at_once(tmp_path: Path) -> None:
    with fake_gateway(_poll_job(_status_words)) as fake:
        run = run_verify(fake.url, tmp_path, "--deadline", "600")
    assert run.code == 1
    polls = fake.count(lambda e: e.is_poll and UNKNOWN_TASK not in e.path)
    assert polls == 1, "the first drifted poll ends that task's polling"


def test_one_fixed_task_id_for_every_create(tmp_path: Path) -> None:
    first: dict[str, str] = {}

    def fixed(exchange: Exchange) -> None:
        if exchange.is_create and exchange.status == 200:
            real = exchange.json["task_id"]
            first.setdefault("id", real)
            exchange.set_json({**exchange.json, "id": first["id"], "task_id": first["id"]})

    with fake_gateway(fixed) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "2")
    assert run.code == 1
    assert f"task_id: '{first['id']}' was already returned by create #1" in run.drift_text()


def test_creates_0_creates_nothing(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "0")
    assert run.code == 0, run.stdout
    assert fake.count(lambda e: e.is_create and e.status == 200) == 0
    assert [e.path for e in fake.exchanges if e.is_poll] == [f"/v1/video/generations/{UNKNOWN_TASK}"]
    assert len(fake.exchanges) == FREE_REQUESTS == run.report["requests_sent"]
    assert run.report["creates_sent"] == 0
    assert any(c["verdict"] == "skipped" and c["check"] == "creates" for c in run.report["checks"])


def test_dry_run_sends_nothing(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--dry-run", "--creates", "3")
    assert run.code == 0 and fake.exchanges == []
    assert "dry run: nothing is sent" in run.stdout
    assert "jobs: at most 3 (--creates 3 caps every job the run can cause)" in run.stdout
    assert run.stdout.count("[paid] create #") == 3
    assert run.stdout.count("[risky] bad body: ") == PROBES - FREE_REQUESTS


def test_the_key_appears_in_no_output_even_when_the_gateway_echoes_it(tmp_path: Path) -> None:
    def echo_key(exchange: Exchange) -> None:
        if exchange.status in (400, 401):
            body = exchange.json
            sent = exchange.request_headers.get("authorization", "")
            body["error"]["message"] += f" (you sent {sent})"
            if exchange.status == 400:  # a drift, so the echo lands in the report
                body["error"]["param"] = sent
            exchange.set_json(body)

    with fake_gateway(echo_key) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "1")
    sent = [e for e in fake.exchanges if e.request_headers.get("authorization") == f"Bearer {KEY}"]
    assert sent, "the key did reach the base URL's host"
    assert KEY in json.dumps([e.json for e in fake.exchanges if e.status == 400]), "the fake did echo it"
    assert run.code == 1 and "param 'Bearer [redacted]'" in run.drift_text()
    assert KEY not in run.everything()


def test_the_video_on_another_host_is_fetched_without_the_key(tmp_path: Path) -> None:
    from tests.support.verify_fakes import serve

    def mp4(exchange: Exchange) -> None:
        exchange.status, exchange.headers = 200, {"content-type": "video/mp4"}
        exchange.body = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32

    with serve(mp4) as cdn:

        def elsewhere(exchange: Exchange) -> None:
            if exchange.is_poll and exchange.status == 200 and exchange.json["video_url"] is not None:
                url = f"{cdn.url}/files/video.mp4"
                exchange.set_json({**exchange.json, "video_url": url, "result": {"outputs": [url], "video_url": url}})

        with fake_gateway(elsewhere) as fake:
            run = run_verify(fake.url, tmp_path)
    assert run.code == 0, run.stdout
    assert len(cdn.exchanges) == 1 and "authorization" not in cdn.exchanges[0].request_headers
    assert any("other host 127.0.0.1" in c["observed"] and "no key" in c["observed"] for c in run.report["checks"])
    assert fake.exchanges


def test_429_is_retried_after_the_wait_it_asks_for(tmp_path: Path) -> None:
    refused = itertools.count()

    def busy(exchange: Exchange) -> None:
        if exchange.is_create and next(refused) < 2:
            exchange.set_json(
                {
                    "error": {
                        "message": "slow down",
                        "type": "rate_limit_error",
                        "param": None,
                        "code": "rate_limit_exceeded",
                    }
                },
                status=429,
            )
            exchange.headers.update({"retry-after": "3", "retry-after-ms": "1250"})

    with fake_gateway(busy) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "0")
    assert run.code == 0, run.stdout
    assert run.sleeps.count(1.25) == 2, run.sleeps
    assert run.report["retries"] == 2 and len(fake.exchanges) == FREE_REQUESTS + 2


def test_the_request_cap_stops_the_run(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--max-requests", "5")
    assert run.code == 2
    assert len(fake.exchanges) == 5
    last = run.stderr.splitlines()[-1]
    assert last.startswith("mockserver verify: could not verify; stopped early: the request cap (5) is spent")
    assert last.endswith(f"; {PROBES - 5 + 4} planned checks did not run"), "the rest of the probes and a create's 4"
    assert run.report["stopped"] and run.report["not_run"] == PROBES - 5 + 4
    assert "Traceback" not in run.stderr


def test_a_job_that_never_finishes_is_incomplete_at_the_deadline(tmp_path: Path) -> None:
    crawl = itertools.count(1)  # progress moves, but the job never completes

    with fake_gateway(_poll_job(lambda job: _unfinished(job, next(crawl)))) as fake:
        run = run_verify(fake.url, tmp_path, "--deadline", "30", "--poll-interval", "2", "--max-poll-interval", "8")
    assert run.code == 2, run.stdout
    assert (
        run.stdout.rstrip()
        .splitlines()[-1]
        .startswith("could not verify: task #1 was not final after --deadline 30 s (0 drift, 1 incomplete")
    )
    assert (
        run.stderr.splitlines()[-1]
        == "mockserver verify: could not verify: task #1 was not final after --deadline 30 s"
    )
    row = next(c for c in run.report["checks"] if c["verdict"] == "incomplete")
    assert row["check"] == "poll #1: reaches a final state" and "still in_progress at " in row["observed"]
    assert not run.rows("DRIFT"), "progress moved: no frozen-progress drift"
    polls = fake.count(lambda e: e.is_poll and UNKNOWN_TASK not in e.path)
    assert 4 <= polls <= 8, polls  # waits of 2, 3, 4.5, 6.75, 8, 8 s: backoff, not a tight loop
