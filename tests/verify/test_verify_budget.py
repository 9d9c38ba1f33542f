"""`--creates N` caps every job a run causes, against a gateway that accepts any key and any body with a known model."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mockserver.contract import MODELS
from mockserver.verify.budget import NEEDS_BUDGET, JobBudget, task_id_of
from mockserver.verify.probes import AUTH_PROBE, free_probes
from tests.support.verify_fakes import Exchange, fake_gateway, run_verify, serve

RISKY = [p.name for p in free_probes() if p.cost == "risky"]


@dataclass
class Lenient:
    """A gateway that checks no key and no rule but the model: every JSON body naming a known model starts a job."""

    url: str = ""
    jobs: list[str] = field(default_factory=list)


def _error(exchange: Exchange, status: int, code: str) -> None:
    error = {"message": code, "type": "invalid_request_error", "param": None, "code": code}
    exchange.set_json({"error": error}, status=status)


@contextmanager
def lenient_gateway() -> Iterator[Lenient]:
    gateway = Lenient()
    numbers = itertools.count(1)
    lock = threading.Lock()

    def handle(exchange: Exchange) -> None:
        if exchange.is_create:
            try:
                body = json.loads(exchange.request_body)
            except ValueError:
                _error(exchange, 400, "invalid_json")
                return
            if not isinstance(body, dict) or body.get("model") not in MODELS:
                _error(exchange, 400, "model_not_supported")
                return
            with lock:
                task_id = f"task_lenient{next(numbers)}"
                gateway.jobs.append(task_id)
            job = {"id": task_id, "task_id": task_id, "object": "video.generation.job", "model": body["model"]}
            exchange.set_json({**job, "status": "queued", "progress": 0, "created_at": 1774507626}, status=200)
            return
        _error(exchange, 404, "not_found")

    with serve(handle) as fake:
        gateway.url = fake.url
        yield gateway


def test_only_requests_no_gateway_can_start_a_job_for_are_free() -> None:
    free = [p.name for p in free_probes() if p.cost == "free"]
    assert free == [
        "no key: 401",
        "wrong key: 401",
        "bad body: body not JSON",
        "bad body: model not in the catalogue",
        "bad body: model not a string",
        "unknown task id",
        "remix of an unknown task",  # refused before anything is submitted (relay/relay_task.go)
        "unknown path: 404",
        "bad body: /v1/videos: form that does not parse",  # no model can be read from it
    ]
    assert AUTH_PROBE["model"] not in MODELS
    for probe in free_probes():
        body = probe.json_body
        names_a_model = isinstance(body, dict) and body.get("model") in MODELS
        assert not (probe.cost == "free" and names_a_model), probe.name
        assert probe.cost == "free" or probe.invalid_body, "only invalid bodies are risky"


def test_the_budget_says_why_a_check_is_not_sent() -> None:
    budget = JobBudget(1)
    assert budget.why_not("risky") is None and budget.why_not("create") is None
    budget.spend("bad body: prompt blank", "task_1")
    budget.lenient_on = "bad body: prompt blank"
    assert budget.left == 0 and budget.why_not("free") is None
    assert budget.why_not("create") == "the budget (--creates 1) is spent (bad body: prompt blank)"
    why = budget.why_not("free", invalid_body=True)
    assert why is not None and why.startswith("the gateway accepted an invalid body (bad body: prompt blank)")
    assert JobBudget(0).why_not("risky") == NEEDS_BUDGET
    assert task_id_of({"task_id": "task_a", "id": "x"}) == "task_a" and task_id_of({"data": {"id": "t"}}) == "t"
    assert task_id_of([1]) is None and task_id_of({"task_id": 7}) is None


def test_creates_0_causes_no_job_and_says_why_each_risky_check_was_not_sent(tmp_path: Path) -> None:
    with lenient_gateway() as gateway:
        run = run_verify(gateway.url, tmp_path, "--creates", "0")
    assert gateway.jobs == []
    assert run.report["jobs_caused"] == 0 and run.report["jobs"] == []
    skipped = {c["check"]: c["observed"] for c in run.rows("skipped")}
    assert RISKY and all(skipped[name] == NEEDS_BUDGET for name in RISKY), skipped
    assert "jobs caused: 0" in run.stdout.splitlines()[-1]
    assert run.code == 1, "the auth probes were not refused: drift"


def test_creates_1_causes_at_most_one_job_and_skips_the_other_invalid_bodies(tmp_path: Path) -> None:
    with lenient_gateway() as gateway:
        run = run_verify(gateway.url, tmp_path, "--creates", "1")
    assert len(gateway.jobs) == 1, gateway.jobs
    rows = {c["check"]: c for c in run.report["checks"]}
    accepted = [name for name in RISKY if rows[name]["observed"].startswith("200")]
    assert len(accepted) == 1 and rows[accepted[0]]["verdict"] == "DRIFT"
    assert run.report["jobs"] == [{"check": accepted[0], "task_id": "task_lenient1"}]
    assert run.report["jobs_caused"] == 1 and "jobs caused: 1 (task_lenient1)" in run.stdout.splitlines()[-1]
    later = RISKY[RISKY.index(accepted[0]) + 1 :]
    assert later, "invalid bodies were left to skip"
    for name in later:
        assert rows[name]["verdict"] == "skipped"
        assert rows[name]["observed"].startswith(f"the gateway accepted an invalid body ({accepted[0]})")
    create = next(c for c in run.report["checks"] if c["check"].startswith("create #1"))
    assert create["verdict"] == "skipped" and "the budget (--creates 1) is spent" in create["observed"]


def test_the_budget_left_goes_to_the_page_examples(tmp_path: Path) -> None:
    with lenient_gateway() as gateway:
        run = run_verify(gateway.url, tmp_path, "--creates", "3")
    assert len(gateway.jobs) == 3, "one invalid body, then two page examples"
    assert [j["task_id"] for j in run.report["jobs"]] == gateway.jobs
    assert [j["check"] for j in run.report["jobs"]][1:] == [
        "create #1: text-to-video on viduq3p-720p",
        "create #2: image-to-video on viduq3t-540p",
    ]
    assert run.report["creates_sent"] == 2


@pytest.mark.slow  # the mock behind a proxy, two jobs polled to the end
def test_against_a_strict_gateway_every_check_runs_and_the_jobs_are_the_creates(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "2")
    created = [e.json["task_id"] for e in fake.exchanges if e.is_create and e.status == 200]
    assert run.code == 0, run.stdout
    assert len(created) == 2 and [j["task_id"] for j in run.report["jobs"]] == created
    assert not run.rows("skipped"), "every risky probe was sent: the budget was there, and each was refused"
    assert run.stdout.splitlines()[-1].endswith(f"jobs caused: 2 ({created[0]}, {created[1]}))")
