"""schemathesis against the live mock, driven by our own OpenAPI documents (issue 5), one per dialect:
`schemas/openapi.yaml` against a `uniall` server, `schemas/dialects/new-api/openapi.yaml` against a
`new-api` one (issue 13).

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

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.contract.data.schemas import load_text
from mockserver.contract.settings import Settings
from mockserver.live import LiveServer
from mockserver.openapi.document import openapi_file

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
# What new-api answers that schemathesis's defaults read as server errors or refused valid data:
# an unknown model is a 503 `model_not_found` (middleware/distributor.go), an unknown task a 400
# `task_not_exist` (relay/relay_task.go), an unfinished video a 400 (controller/video_proxy.go).
# Every other status still fails these two checks; the document lists each of these answers.
DIALECT_CHECKS: dict[str, dict[str, Any]] = {
    "new-api": {
        "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
        },
    }
}
CREATE = "POST /v1/video/generations"
POLL = "GET /v1/video/generations/{task_id}"
DOWNLOAD = "GET /v1/video/generations/{task_id}/content"
VIDEO = "GET /v1/videos/{task_id}"
VIDEO_DOWNLOAD = "GET /v1/videos/{task_id}/content"
VIDEO_CREATE = "POST /v1/videos"
REMIX = "POST /v1/videos/{video_id}/remix"


def load_api_schema(dialect: str, base_url: str | None = None) -> schemathesis.BaseSchema:
    """The packaged document of `dialect`, the bearer token as real credentials (and `base_url`, if given)."""
    config: dict[str, Any] = {
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "generation": {"mode": "all", "deterministic": True},
        "checks": DIALECT_CHECKS.get(dialect, {}),
    }
    # A remix runs on its origin task's model, which its body cannot show: a body the document
    # accepts is still refused when it does not fit that model (a -mix- origin needs 3+ images).
    config["operations"] = [
        {
            "include-operation-id": "remixVideo",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "404", "429", "5xx"]}},
        }
    ]
    if base_url is not None:
        config["base-url"] = base_url
    text = load_text(openapi_file(dialect))
    return schemathesis.openapi.from_file(text, config=schemathesis.Config.from_dict(config))


@pytest.fixture(scope="module")
def live_mocks() -> Iterator[dict[str, LiveServer]]:
    """One real loopback server per dialect for this module (per xdist worker)."""
    servers: dict[str, LiveServer] = {d: LiveServer(MOCK_SETTINGS.with_updates(dialect=d)) for d in GATEWAY_DIALECTS}
    for server in servers.values():
        server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(params=GATEWAY_DIALECTS)
def api_schema(request: pytest.FixtureRequest, live_mocks: dict[str, LiveServer]) -> schemathesis.BaseSchema:
    """A fresh schema of each dialect aimed at the live mock in that dialect, so hooks never leak between tests."""
    dialect: str = request.param
    return load_api_schema(dialect, live_mocks[dialect].url)


# Loaded eagerly: `schemathesis.pytest.from_fixture` reads `Node._nodeid`, which pytest 9.2 removed.
UNIALL = load_api_schema("uniall")
NEW_API = load_api_schema("new-api")


@UNIALL.parametrize()
@settings(max_examples=25, derandomize=True, database=None, deadline=None)
def test_every_operation_keeps_the_contract(case: Case[Any], live_mocks: dict[str, LiveServer]) -> None:
    case.call_and_validate(base_url=live_mocks["uniall"].url)


@NEW_API.parametrize()
@settings(max_examples=25, derandomize=True, database=None, deadline=None)
def test_every_operation_keeps_the_new_api_contract(case: Case[Any], live_mocks: dict[str, LiveServer]) -> None:
    case.call_and_validate(base_url=live_mocks["new-api"].url)


def test_every_named_check_is_enabled_in_every_phase(api_schema: schemathesis.BaseSchema) -> None:
    for label in (CREATE, POLL, DOWNLOAD, VIDEO, VIDEO_DOWNLOAD):
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
    # A 200 poll or download needs an id a create call returned: proof the links were followed.
    # Either route family may carry the chain, and a download may have sent a `Range` (206).
    called = set(calls)
    assert {(label, 200) for label in (CREATE, VIDEO_CREATE, REMIX)} & called, calls
    assert {(label, 200) for label in (POLL, VIDEO)} & called, calls
    assert {(label, status) for label in (DOWNLOAD, VIDEO_DOWNLOAD) for status in (200, 206)} & called, calls
    assert not [key for key in outcomes if key[1] != "SUCCESS"], outcomes
    assert {name for name, _ in outcomes} >= set(CHECKS) - {"unsupported_method"}, outcomes
