"""schemathesis against the live mock, driven by our own `schemas/openapi.yaml` (issue 5).

Every default check runs on every response of the examples, coverage and fuzzing phases
for each operation, then a stateful run follows the document's links create -> poll ->
download. Deterministic: fixed generation, derandomized Hypothesis, bounded examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case, CheckResult, HookContext, Response

from mockserver.contract.schemas import load_text
from mockserver.contract.settings import Settings
from mockserver.live import LiveServer
from mockserver.openapi_doc import OPENAPI_FILE

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

TOKEN = "schemathesis-token"
# Only this token is accepted, so `ignored_auth` can tell a real credential from a made-up one;
# step mode moves a job one state per poll, so the stateful run reaches a downloadable video.
MOCK_SETTINGS = Settings(port=0, tokens=(TOKEN,), lifecycle="step")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "unsupported_method",
)
CREATE = "POST /v1/video/generations"
POLL = "GET /v1/video/generations/{task_id}"
DOWNLOAD = "GET /v1/video/generations/{task_id}/content"


def load_api_schema(base_url: str | None = None) -> schemathesis.BaseSchema:
    """The packaged document, with the bearer token as real credentials (and `base_url`, if given)."""
    config: dict[str, Any] = {
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "generation": {"mode": "all", "deterministic": True},
    }
    if base_url is not None:
        config["base-url"] = base_url
    return schemathesis.openapi.from_file(load_text(OPENAPI_FILE), config=schemathesis.Config.from_dict(config))


@pytest.fixture(scope="module")
def live_mock() -> Iterator[LiveServer]:
    """One real loopback server for this module (per xdist worker)."""
    with LiveServer(MOCK_SETTINGS) as server:
        yield server


@pytest.fixture
def api_schema(live_mock: LiveServer) -> schemathesis.BaseSchema:
    """A fresh schema aimed at the live mock, so hooks one test registers never reach another."""
    return load_api_schema(live_mock.url)


# Loaded eagerly: `schemathesis.pytest.from_fixture` reads `Node._nodeid`, which pytest 9.2 removed.
SCHEMA = load_api_schema()


@SCHEMA.parametrize()
@settings(max_examples=25, derandomize=True, database=None, deadline=None)
def test_every_operation_keeps_the_contract(case: Case[Any], live_mock: LiveServer) -> None:
    case.call_and_validate(base_url=live_mock.url)


def test_every_named_check_is_enabled_in_every_phase(api_schema: schemathesis.BaseSchema) -> None:
    for label in (CREATE, POLL, DOWNLOAD):
        method, path = label.split(" ")
        op = api_schema[path][method]
        for phase in ("examples", "coverage", "fuzzing", "stateful"):
            assert api_schema.config.phases_for(operation=op).get_by_name(name=phase).enabled, phase
            config = api_schema.config.checks_config_for(operation=op, phase=phase)
            assert all(getattr(config, name).enabled for name in CHECKS), (op.label, phase)


def test_stateful_run_follows_the_links_from_create_to_download(api_schema: schemathesis.BaseSchema) -> None:
    calls: Counter[tuple[str, int]] = Counter()
    outcomes: Counter[tuple[str, str]] = Counter()

    @api_schema.hook("after_call")
    def record_call(context: HookContext, case: Case[Any], response: Response) -> None:
        calls[case.operation.label, response.status_code] += 1

    @api_schema.hook("after_validate")
    def record_checks(context: HookContext, case: Case[Any], response: Response, results: list[CheckResult]) -> None:
        outcomes.update((result.name, result.status.name) for result in results)

    machine: Any = api_schema.as_state_machine()
    machine.run(
        settings=settings(max_examples=10, stateful_step_count=8, derandomize=True, database=None, deadline=None)
    )
    # A 200 poll or download needs an id the create call returned: proof the links were followed.
    assert {(CREATE, 200), (POLL, 200), (DOWNLOAD, 200)} <= set(calls), calls
    assert not [key for key in outcomes if key[1] != "SUCCESS"], outcomes
    assert {name for name, _ in outcomes} >= set(CHECKS) - {"unsupported_method"}, outcomes
