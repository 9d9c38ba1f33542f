"""`Prefer` options and queued failures over real HTTP: clients really see the errors and faults."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import requests

from mockserver.live import LiveServer
from mockserver.live.faults import MALFORMED_BODY
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server


@pytest.fixture
def server() -> Iterator[LiveServer]:
    # A held `timeout` connection is released at stop, so teardown never waits 30 s.
    with live_server(timeout_fault_seconds=30) as started:
        yield started


def create(server: LiveServer, prefer: str, **extra: str) -> requests.Response:
    headers = {**AUTH, "Prefer": prefer, **extra}
    return requests.post(server.url + CREATE, json=TEXT, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("prefer", "status", "code", "retry_after"),
    [
        ("code=429", 429, "rate_limit_exceeded", True),
        ("code=insufficient_quota", 429, "insufficient_quota", False),
        ("code=500", 500, "internal_error", False),
        ("code=502", 502, "bad_gateway", False),
        ("code=503", 503, "service_unavailable", True),
        ("code=504", 504, "upstream_timeout", False),
    ],
)
def test_prefer_code_answers_the_catalogue_error(
    server: LiveServer, prefer: str, status: int, code: str, retry_after: bool
) -> None:
    response = create(server, prefer)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert_conforms(status, response.content)
    assert response.headers["Preference-Applied"] == prefer
    if retry_after:
        assert (response.headers["Retry-After"], response.headers["retry-after-ms"]) == ("1", "200")
    else:
        assert "Retry-After" not in response.headers
    [entry] = server.control.journal
    assert entry.injected == "prefer" and entry.status == status


def test_prefer_retry_false_sends_x_should_retry(server: LiveServer) -> None:
    response = create(server, "code=503, retry=false")
    assert response.status_code == 503 and response.headers["x-should-retry"] == "false"


def test_prefer_with_a_bad_value_is_a_400_naming_the_header(server: LiveServer) -> None:
    response = create(server, "code=418")
    assert (response.status_code, response.json()["error"]["param"]) == (400, "Prefer")
    assert_conforms(400, response.content)


def test_prefer_delay_is_applied_and_reported(server: LiveServer) -> None:
    response = create(server, "delay=30")
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "delay=30"
    assert_conforms(200, response.content)


def test_prefer_job_fail_and_stall_shape_the_task(server: LiveServer) -> None:
    failing = create(server, "job=fail").json()["id"]
    stalling = create(server, "job=stall").json()["id"]
    server.control.advance_clock(3600)
    for task_id, status in ((failing, "failed"), (stalling, "in_progress")):
        body = requests.get(f"{server.url}{CREATE}/{task_id}", headers=AUTH, timeout=5)
        assert_conforms(200, body.content)
        assert body.json()["status"] == status
    assert requests.get(f"{server.url}{CREATE}/{failing}", headers=AUTH, timeout=5).json()["error"]["code"]


def test_fault_reset_is_a_tcp_reset_for_requests_and_httpx(server: LiveServer) -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        create(server, "fault=reset")
    assert "reset" in str(caught.value).lower()
    with pytest.raises(httpx.ReadError):
        httpx.post(server.url + CREATE, json=TEXT, headers={**AUTH, "Prefer": "fault=reset"})
    assert create(server, "").status_code == 200  # the server keeps serving


def test_fault_empty_closes_without_a_response(server: LiveServer) -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        create(server, "fault=empty")
    assert "without response" in str(caught.value)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(server.url + CREATE, json=TEXT, headers={**AUTH, "Prefer": "fault=empty"})


def test_fault_malformed_is_a_200_that_is_not_json(server: LiveServer) -> None:
    response = create(server, "fault=malformed")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.content == MALFORMED_BODY
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_fault_timeout_outlasts_the_client_timeout(server: LiveServer) -> None:
    with pytest.raises(requests.ReadTimeout):
        requests.post(server.url + CREATE, json=TEXT, headers={**AUTH, "Prefer": "fault=timeout"}, timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + CREATE, json=TEXT, headers={**AUTH, "Prefer": "fault=timeout"}, timeout=0.3)


def test_faults_on_polls_and_recovery(server: LiveServer) -> None:
    task_id = create(server, "").json()["id"]
    url = f"{server.url}{CREATE}/{task_id}"
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers={**AUTH, "Prefer": "fault=reset"}, timeout=5)
    after = requests.get(url, headers=AUTH, timeout=5)
    assert after.status_code == 200 and after.json()["id"] == task_id  # nothing lost


def test_global_error_rate_is_seeded_and_draws_from_the_codes() -> None:
    def statuses() -> list[int]:
        with live_server(error_rate=0.5, error_codes=("429", "502"), seed=7) as server:
            return [create(server, "").status_code for _ in range(30)]

    first, second = statuses(), statuses()
    assert first == second  # reproducible with the seed
    assert set(first) == {200, 429, 502}


def test_global_latency_range_is_applied() -> None:
    with live_server(latency_ms=(1, 5), seed=1) as server:
        assert create(server, "").status_code == 200
