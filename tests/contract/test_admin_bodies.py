"""Admin bodies over real HTTP: checked against `schemas/admin/`, refused in the mock's words, never Python's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
import requests

from mockserver.contract.admin.bodies import ADMIN_SCHEMAS, admin_schema
from mockserver.contract.admin.routes import _ACTIONS
from mockserver.contract.data.catalogue import MODES, STATUSES
from mockserver.contract.injection.decision import FAULTS, MAX_DELAY_MS
from mockserver.contract.injection.failures import Endpoint
from mockserver.contract.injection.filters import ENDPOINTS
from mockserver.contract.jobs.lifecycle import MAX_STEPS
from mockserver.contract.jobs.plans import OUTCOMES
from mockserver.live import LiveServer
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

# Every admin write, with a body it accepts (`{task}`: a task's id) and the fields it accepts.
WRITES: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    (
        "POST",
        "failures",
        {"error": 503},
        (
            "error",
            "times",
            "model",
            "mode",
            "endpoint",
            "fault",
            "delay_ms",
            "after",
            "retry_after_ms",
            "required",
            "path",
        ),
    ),
    ("POST", "jobs", {"outcome": "fail"}, ("outcome", "polls", "reason")),
    ("POST", "clock", {"advance": 1}, ("advance",)),
    ("POST", "tasks/{task}", {"action": "advance"}, ("action", "status")),
    ("POST", "reset", {}, ()),
    ("DELETE", "journal", {}, ()),
    ("DELETE", "failures", {}, ()),
    ("DELETE", "jobs", {}, ()),
]
PYTHON_WORDS = ("Traceback", "keyword argument", "TypeError", "MockControl", "queue_failure", "()", "None", "True")


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(lifecycle="step") as started:
        yield started


def write(server: LiveServer, method: str, path: str, body: Any) -> requests.Response:
    if "{task}" in path:
        created = requests.post(server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
        path = path.format(task=created.json()["id"])
    return requests.request(method, f"{server.url}/__mock/{path}", json=body, timeout=5)


def assert_refused(answer: requests.Response, code: str, param: str, *words: str) -> str:
    error = assert_conforms(answer.status_code, answer.content)["error"]
    assert (answer.status_code, error["code"], error["param"]) == (400, code, param), answer.text
    message: str = error["message"]
    for word in words:
        assert word in message, (word, message)
    for python in PYTHON_WORDS:
        assert python not in message, (python, message)
    return message


@pytest.mark.parametrize(("method", "path", "good", "accepted"), WRITES, ids=[f"{m} {p}" for m, p, *_ in WRITES])
def test_every_admin_write_refuses_an_unknown_field_naming_it_and_the_accepted_ones(
    server: LiveServer, method: str, path: str, good: dict[str, Any], accepted: tuple[str, ...]
) -> None:
    server.control.reset()
    assert requests.post(server.url + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200
    rule = server.control.queue_failure(429, model="viduq3t-540p")  # not the model TEXT creates with
    plan = server.control.plan_job("fail")
    message = assert_refused(write(server, method, path, {**good, "eror": 503}), "unknown_field", "eror", "'eror'")
    assert (f"accepted: {', '.join(accepted)}." if accepted else "takes no fields") in message
    # Nothing done: the rule, the plan (unless `write` created a task, which takes it) and the journal stay.
    assert server.control.pending_failures == [rule]
    assert server.control.pending_jobs == ([] if "{task}" in path else [plan])
    assert [entry.path for entry in server.control.journal][:1] == [CREATE]
    assert write(server, method, path, good).status_code in (200, 201)


@pytest.mark.parametrize(
    ("path", "body", "field", "expected"),
    [
        ("failures", {"error": 503, "times": "2"}, "times", "a whole number of at least 1"),
        ("failures", {"error": 503, "times": 0}, "times", "a whole number of at least 1"),
        ("failures", {"error": [503]}, "error", "an injectable status or catalogue code"),
        ("failures", {"error": 503, "mode": "video"}, "mode", "one of text-to-video"),
        ("failures", {"error": 503, "endpoint": "all"}, "endpoint", "one of create, poll, content, any"),
        ("failures", {"fault": "explode"}, "fault", "one of reset, empty, malformed, timeout"),
        ("failures", {"delay_ms": 60_001}, "delay_ms", "a whole number of milliseconds from 0 to 60000"),
        ("failures", {"error": 503, "after": -1}, "after", "a whole number from 0 to 10000"),
        ("failures", {"error": 503, "model": 5}, "model", "a model name"),
        ("jobs", {"outcome": "explode"}, "outcome", "one of succeed, fail, stall"),
        ("jobs", {"polls": True}, "polls", "a whole number from 1 to 100"),
        ("clock", {"advance": "10"}, "advance", "a number of seconds"),
        ("clock", {"advance": -1}, "advance", "a number of seconds"),
        ("tasks/{task}", {"action": "finish"}, "action", "one of advance, complete, fail, stall"),
        ("tasks/{task}", {"status": "done"}, "status", "one of queued, in_progress, completed, failed"),
    ],
)
def test_a_wrong_value_names_its_field_and_what_it_must_be(
    server: LiveServer, path: str, body: dict[str, Any], field: str, expected: str
) -> None:
    assert_refused(write(server, "POST", path, body), "invalid_value", field, f"{field} must be {expected}")


@pytest.mark.parametrize(
    ("path", "body", "param", "words"),
    [
        ("clock", {}, "advance", 'Send {"advance": seconds}'),
        ("tasks/{task}", {}, "action", 'Send {"action": one of'),
        ("failures", {}, None, "needs an error, a fault or a delay"),
        ("failures", {"error": 999}, None, "999 cannot be injected"),
    ],
)
def test_a_body_missing_what_it_needs_says_what_to_send(
    server: LiveServer, path: str, body: dict[str, Any], param: str | None, words: str
) -> None:
    answer = write(server, "POST", path, body)
    error = assert_conforms(answer.status_code, answer.content)["error"]
    assert (error["code"], error["param"]) == ("invalid_value", param) and words in error["message"]
    assert "keyword" not in error["message"]


def test_a_rule_with_every_field_is_taken_as_the_fixtures_take_it(server: LiveServer) -> None:
    server.control.reset()
    rule = {"error": "429", "times": 2, "model": "viduq3p-720p", "mode": "text-to-video"}
    rule |= {"endpoint": "any", "fault": None, "delay_ms": 5, "after": 1, "retry_after_ms": 1500, "required": False}
    rule |= {"path": "/v1/video/generations/{task_id}"}
    answer = write(server, "POST", "failures", rule)
    assert answer.status_code == 201 and answer.json() == rule
    assert [r.to_json() for r in server.control.pending_failures] == [rule]


def test_the_schemas_name_the_same_choices_as_the_code() -> None:
    rule = admin_schema("failure-rule")["properties"]
    assert rule["mode"]["enum"] == [*MODES, None]
    assert rule["fault"]["enum"] == [*FAULTS, None]
    assert rule["endpoint"]["enum"] == list(ENDPOINTS) == list(get_args(Endpoint))
    assert rule["delay_ms"]["maximum"] == MAX_DELAY_MS
    plan = admin_schema("job-plan")["properties"]
    assert plan["outcome"]["enum"] == list(OUTCOMES) and plan["polls"]["maximum"] == MAX_STEPS
    action = admin_schema("task-action")["properties"]
    assert action["action"]["enum"] == list(_ACTIONS) and action["status"]["enum"] == list(STATUSES)
    for name in ADMIN_SCHEMAS:
        schema = admin_schema(name)
        assert schema["additionalProperties"] is False and schema["x-what"], name
        assert all("x-expected" in field for field in schema["properties"].values()), name
