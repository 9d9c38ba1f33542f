"""A request with no answer makes its check incomplete and the run goes on; 3 in a row stop it, and it says so.

The hangs are Events the fake's handler waits on, released when the test ends; the verifier's
`--timeout` is short, so nothing here waits on a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockserver.verify.probes import free_probes
from mockserver.verify.samples import INVALID_BODIES
from tests.support.verify_fakes import Exchange, Fake, fake_gateway, run_verify

pytestmark = pytest.mark.slow  # a whole verification against the mock behind a proxy, each

NOT_JSON = next(b.raw for b in INVALID_BODIES if b.raw is not None)
PROBES = [p.name for p in free_probes()]


@contextmanager
def hanging_gateway(
    hangs: Callable[[Exchange], bool], mutate: Callable[[Exchange], None] | None = None
) -> Iterator[Fake]:
    """The mock behind a proxy that never answers the requests `hangs` picks (until the test ends)."""
    release = threading.Event()

    def apply(exchange: Exchange) -> None:
        if mutate is not None:
            mutate(exchange)
        if hangs(exchange):
            release.wait(timeout=60)

    try:
        with fake_gateway(apply) as fake:
            yield fake
    finally:
        release.set()


def test_one_unanswered_request_is_incomplete_and_every_other_check_runs(tmp_path: Path) -> None:
    with hanging_gateway(lambda e: e.request_body == NOT_JSON) as fake:
        run = run_verify(fake.url, tmp_path, "--timeout", "0.3")
    rows = {c["check"]: c for c in run.report["checks"]}
    assert rows["bad body: body not JSON"]["verdict"] == "incomplete"
    assert rows["bad body: body not JSON"]["observed"] == "no answer in 0.3 s"
    others = [c for c in run.report["checks"] if c["check"] != "bad body: body not JSON"]
    assert {c["verdict"] for c in others} == {"pass"}, "every other check ran, and passed"
    assert set(PROBES) <= set(rows) and "video #1: downloads as an MP4" in rows
    assert run.report["stopped"] is None and run.code == 2
    assert run.stdout.splitlines()[-1].startswith("could not verify: 1 checks incomplete (0 drift, 1 incomplete")


class After:
    """Every request after the first `n` hangs; `seen` counts the requests that reached the fake."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0

    def __call__(self, exchange: Exchange) -> bool:
        self.seen += 1
        return self.seen > self.n


def _no_key_403(exchange: Exchange) -> None:
    if exchange.is_create and "authorization" not in exchange.request_headers:
        exchange.status = 403


@pytest.mark.parametrize(("mutate", "code", "head"), [(None, 2, "could not verify"), (_no_key_403, 1, "DRIFT FOUND")])
def test_three_unanswered_requests_in_a_row_stop_the_run_and_the_closing_line_says_why(
    mutate: Callable[[Exchange], None] | None, code: int, head: str, tmp_path: Path
) -> None:
    after = After(2)
    with hanging_gateway(after, mutate) as fake:
        run = run_verify(fake.url, tmp_path, "--timeout", "0.2", "--creates", "0")
    assert run.code == code, run.stdout + run.stderr
    incomplete = [c["check"] for c in run.rows("incomplete")]
    assert incomplete == [
        "bad body: body not JSON",
        "bad body: model not in the catalogue",
        "bad body: model not a string",
    ]
    assert after.seen == 5, "nothing is sent after the third silence"
    left = len(PROBES) - PROBES.index("bad body: model not a string") - 1  # risky ones (to skip) and two free
    why = f"stopped early: 3 requests in a row got no answer in 0.2 s; {left} planned checks did not run"
    assert run.stdout.splitlines()[-1].startswith(f"{head}; {why} (")
    assert run.stderr.splitlines()[-1] == f"mockserver verify: {head}; {why}"
    assert run.report["stopped"] == "3 requests in a row got no answer in 0.2 s" and run.report["not_run"] == left
    names = {c["check"] for c in run.report["checks"]}
    assert "unknown task id" not in names and "unknown path: 404" not in names


def test_a_create_with_no_answer_counts_as_a_job_it_may_have_started(tmp_path: Path) -> None:
    hung: list[str] = []

    def page_create(exchange: Exchange) -> bool:
        if exchange.is_create and exchange.status == 200:  # the mock did start this job
            hung.append(exchange.json["task_id"])
            return True
        return False

    with hanging_gateway(page_create) as fake:
        run = run_verify(fake.url, tmp_path, "--timeout", "0.3", "--creates", "1")
    row = next(c for c in run.report["checks"] if c["check"].startswith("create #1"))
    assert row["verdict"] == "incomplete" and row["observed"] == "no answer in 0.3 s: it may have started a job"
    assert run.report["jobs"] == [{"check": row["check"], "task_id": None}]
    assert len(hung) == 1, "the gateway did start the job it never answered for"
    assert run.code == 2 and run.report["stopped"] is None
