"""A mock that answers fixed examples (as Prism does on the shipped OpenAPI document): each symptom is named.

The fake refuses what the contract refuses (the mock's own core judges each request, as a
validating mock would), but answers every accepted create with the same example and every
poll with the same in-progress job: two creates share an id, the model echoed is not the
one sent, and the job never moves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, Settings
from mockserver.contract.routes.router import Router
from tests.support.verify_fakes import KEY, Exchange, Fake, run_verify, serve

pytestmark = pytest.mark.slow  # a whole verification each


@contextmanager
def static_gateway() -> Iterator[Fake]:
    router = Router(ContractEngine(Settings(lifecycle="step", tokens=(KEY,)), ManualClock()))
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    example = b'{"model": "viduq3p-720p", "prompt": "a fox"}'
    created = router.handle(Incoming("POST", "/v1/video/generations", headers, example))
    polled = router.handle(Incoming("GET", f"/v1/video/generations/{created.json()['task_id']}", headers))
    assert polled.json()["status"] == "in_progress", "the fixed poll example is a running job"

    def handle(exchange: Exchange) -> None:
        real = router.handle(Incoming(exchange.method, exchange.path, exchange.request_headers, exchange.request_body))
        exchange.status, exchange.headers, exchange.body = real.status, dict(real.headers), real.body
        if exchange.is_create and real.status == 200:
            exchange.set_json(created.json())
        elif exchange.is_poll and real.status == 200:
            exchange.set_json(polled.json())

    with serve(handle) as fake:
        yield fake


def test_a_static_mock_is_named_for_each_thing_it_cannot_do(tmp_path: Path) -> None:
    with static_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "2", "--deadline", "30")
    assert run.code == 1, run.stdout
    drift = {c["check"]: c for c in run.rows("DRIFT")}
    assert set(drift) == {"creates: a new task id each", "create #2: model echoed", "poll #1: progress moves"}, drift
    fixed = json.loads(fake.exchanges[-1].body)["task_id"]
    assert drift["creates: a new task id each"]["observed"] == f"create #2 returned '{fixed}', as create #1 did"
    assert drift["create #2: model echoed"]["details"] == [
        "model: 'viduq3p-720p' echoed for a request for 'viduq3t-540p'"
    ]
    frozen = drift["poll #1: progress moves"]
    assert frozen["observed"].startswith("in_progress 50% on all ") and "stood still" in frozen["details"][0]
    rows = {c["check"]: c["verdict"] for c in run.report["checks"]}
    assert rows["create #1: model echoed"] == "pass" and rows["poll #1: reaches a final state"] == "incomplete"
    assert run.report["jobs_caused"] == 2, "both creates were answered with a task: both count"
