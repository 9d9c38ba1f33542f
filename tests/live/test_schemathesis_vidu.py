"""schemathesis against a live `vidu` mock, driven by `schemas/dialects/vidu/openapi.yaml` (issue 36).

Every default check on every answer of the examples, coverage and fuzzing phases, then a
stateful run following the links create -> poll / cancel. Deterministic and bounded, as
`test_schemathesis.py` runs the gateway's documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case, CheckResult, HookContext, Response

from mockserver.contract.data.schemas import load_text
from mockserver.live import LiveServer
from mockserver.openapi.document import openapi_file
from tests.live.test_schemathesis import CHECKS, MOCK_SETTINGS, TOKEN

pytestmark = pytest.mark.slow


def load_vidu_schema(base_url: str | None = None) -> schemathesis.BaseSchema:
    """The vidu document with `Authorization: Token <TOKEN>` as the real credentials."""
    config: dict[str, Any] = {
        "auth": {"openapi": {"viduToken": {"api_key": f"Token {TOKEN}"}}},
        "generation": {"mode": "all", "deterministic": True},
        # A valid cancel of a task past `queueing` is Vidu's 400 "can not cancel" (the cancel page):
        # a state's answer, not refused data. Every other operation keeps the default statuses.
        "operations": [
            {
                "include-operation-id": "cancelTask",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "404", "5xx"]}
                },
            }
        ],
    }
    if base_url is not None:
        config["base-url"] = base_url
    return schemathesis.openapi.from_file(load_text(openapi_file("vidu")), config=schemathesis.Config.from_dict(config))


@pytest.fixture(scope="module")
def vidu_mock() -> Iterator[LiveServer]:
    with LiveServer(MOCK_SETTINGS.with_updates(dialect="vidu")) as server:
        yield server


VIDU = load_vidu_schema()


@VIDU.parametrize()
@settings(max_examples=25, derandomize=True, database=None, deadline=None)
def test_every_operation_keeps_the_vidu_contract(case: Case[Any], vidu_mock: LiveServer) -> None:
    case.call_and_validate(base_url=vidu_mock.url)


def test_every_named_check_is_enabled_on_every_vidu_operation(vidu_mock: LiveServer) -> None:
    schema = load_vidu_schema(vidu_mock.url)
    for label in (
        "POST /ent/v2/text2video",
        "GET /ent/v2/tasks/{id}/creations",
        "POST /ent/v2/tasks/{id}/cancel",
        "GET /ent/v2/tasks",
        "GET /ent/v2/media/{id}.mp4",
    ):
        method, path = label.split(" ")
        operation = schema[path][method]
        for phase in ("examples", "coverage", "fuzzing", "stateful"):
            config = schema.config.checks_config_for(operation=operation, phase=phase)
            assert all(getattr(config, name).enabled for name in CHECKS), (operation.label, phase)


def test_the_stateful_run_creates_then_polls_and_cancels_what_it_created(vidu_mock: LiveServer) -> None:
    schema = load_vidu_schema(vidu_mock.url)
    calls: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []

    @schema.hook("after_call")
    def record_call(context: HookContext, case: Case[Any], response: Response) -> None:
        calls[case.operation.label, response.status_code] += 1

    @schema.hook("after_validate")
    def record_checks(context: HookContext, case: Case[Any], response: Response, results: list[CheckResult]) -> None:
        failures.extend(r.name for r in results if r.status.name == "FAILURE")

    machine: Any = schema.as_state_machine()
    machine.run(
        settings=settings(max_examples=10, stateful_step_count=8, derandomize=True, database=None, deadline=None)
    )
    assert failures == []
    assert calls["GET /ent/v2/tasks/{id}/creations", 200] > 0, calls
