"""Properties over both faces: strategy examples get the same verdict in process and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from mockserver.contract import schema_validator
from mockserver.live import LiveServer
from pytest_plugin.strategies import InvalidRequest, create_requests, invalid_create_requests
from pytest_plugin.video_api import VideoAPI
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, live_server

# One server and one in-process fake for the whole module: Hypothesis calls the test many times.
FAST = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def faces() -> Iterator[tuple[VideoAPI, LiveServer]]:
    with VideoAPI() as in_process, live_server() as server:
        yield in_process, server


def _both(faces: tuple[VideoAPI, LiveServer], body: Any) -> list[httpx.Response]:
    in_process, server = faces
    with httpx.Client(base_url="https://api.example.com", headers=AUTH) as fake_client:
        fake = fake_client.post(CREATE, json=body)
    in_process.stop()  # the live server must be reached for real, not through respx
    try:
        with httpx.Client(base_url=server.url, headers=AUTH) as live_client:
            live = live_client.post(CREATE, json=body)
    finally:
        in_process.start()
    for response in (fake, live):
        assert_conforms(response.status_code, response.content)
    return [fake, live]


@FAST
@given(body=create_requests())
def test_every_valid_example_is_accepted_by_both_faces(faces: tuple[VideoAPI, LiveServer], body: Any) -> None:
    schema_validator("request").validate(body)
    for response in _both(faces, body):
        assert response.status_code == 200, response.text
        assert response.json()["model"] == body["model"]


@FAST
@given(case=invalid_create_requests())
def test_every_invalid_example_gets_its_error_from_both_faces(
    faces: tuple[VideoAPI, LiveServer], case: InvalidRequest
) -> None:
    for response in _both(faces, case.body):
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["param"]) == (case.status, case.code, case.param)
