"""Each fault as each client really sees it: the in-process face raises what the live server's socket makes
the same client raise, type and message (the experiment the bridges' fault tables were written from)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import aiohttp
import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from mockserver.contract.injection.decision import MALFORMED_BODY
from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.client_seam import LET_THROUGH, Where
from tests.support.client_kinds import CLIENTS, FAULT_ERRORS, Client, client_named

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
CREATE = "/v1/video/generations"
IN_PROCESS = "https://api.vidu.test"
# requests names the connection pool (host and port) in its timeout message: the one part that differs.
_POOL = re.compile(r"HTTPS?ConnectionPool\(host='[^']*', port=\d+\)")


def outcome(client: Client, base_url: str) -> tuple[type[BaseException], str] | bytes:
    """The exception a create raised (its type and message), or the body it answered."""
    try:
        reply = client.send("POST", base_url + CREATE, json_body=TEXT, headers=AUTH, timeout=0.3)
    except Exception as error:  # the subject: whatever the client raises
        return type(error), _POOL.sub("<pool>", str(error))
    return reply.body


@pytest.mark.parametrize("fault", ["reset", "empty", "timeout", "malformed"])
@pytest.mark.parametrize("kind", CLIENTS)
def test_in_process_faults_are_what_the_live_socket_makes_each_client_raise(
    video_api: VideoAPI, video_server: VideoServer, kind: str, fault: str
) -> None:
    with client_named(kind) as client:
        video_server.inject_fault(fault)  # type: ignore[arg-type]
        live = outcome(client, video_server.url)
        video_api.inject_fault(fault)  # type: ignore[arg-type]
        in_process = outcome(client, IN_PROCESS)
    assert in_process == live
    if fault == "malformed":
        assert live == MALFORMED_BODY
    else:
        assert isinstance(live, tuple) and issubclass(live[0], FAULT_ERRORS[kind][fault])
    assert (len(video_server.journal), len(video_api.journal)) == (1, 1)


def test_requests_names_the_pool_and_the_limit_in_its_timeout_message(video_api: VideoAPI) -> None:
    with client_named("requests") as client:
        video_api.inject_fault("timeout")
        with pytest.raises(FAULT_ERRORS["requests"]["timeout"]) as raised:
            client.send("POST", IN_PROCESS + CREATE, json_body=TEXT, headers=AUTH, timeout=0.3)
    assert (
        str(raised.value) == "HTTPSConnectionPool(host='api.vidu.test', port=443): Read timed out. (read timeout=0.3)"
    )


async def _aiohttp_outcome(url: str, timeout: aiohttp.ClientTimeout) -> tuple[type[BaseException], str]:
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            async with session.post(url, json=TEXT, headers=AUTH):
                pass
        except Exception as error:  # the subject: whatever aiohttp raises
            return type(error), str(error)
    raise AssertionError("the timeout fault was answered")


def test_aiohttp_under_a_total_limit_only_raises_the_bare_timeout_error(
    video_api: VideoAPI, video_server: VideoServer
) -> None:
    limit = aiohttp.ClientTimeout(total=0.3)
    video_server.inject_fault("timeout")
    live = asyncio.run(_aiohttp_outcome(video_server.url + CREATE, limit))
    video_api.inject_fault("timeout")
    assert asyncio.run(_aiohttp_outcome(IN_PROCESS + CREATE, limit)) == live == (TimeoutError, "")


async def _expect_100_then_other_path(base_url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession(base_url, headers=AUTH) as session:
        async with session.post(CREATE, json=TEXT, expect100=True) as created:  # waits for "100 Continue"
            status = created.status
        try:
            async with session.get("/health"):  # same host: must not ride the API call's connection
                pass
        except aiohttp.ClientConnectionError as refused:
            return status, str(refused)
    raise AssertionError("a non-API path on the same host was answered")


def test_aiohttp_gets_100_continue_and_never_reuses_an_api_connection(video_api: VideoAPI) -> None:
    status, refused = asyncio.run(asyncio.wait_for(_expect_100_then_other_path(IN_PROCESS), 10))
    assert status == 200
    assert refused.startswith("not mocked by video_api: GET https://api.vidu.test/health")
    video_api.assert_requested(1)


@responses.activate
def test_a_tests_own_responses_routes_work_beside_video_api(video_api: VideoAPI) -> None:
    # `@responses.activate` starts its mock inside the fixture's: both route tables are one.
    responses.add(responses.GET, "https://other-service.test/health", status=204)
    assert requests.get("https://other-service.test/health", timeout=5).status_code == 204
    assert requests.post(IN_PROCESS + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
        requests.get("https://third-service.test/", timeout=5)
    assert len(video_api.journal) == 1 and len(responses.calls) == 3


def test_video_api_started_inside_a_running_responses_mock_leaves_it_running() -> None:
    with responses.RequestsMock() as outer:
        outer.add(responses.GET, "https://other-service.test/health", status=204)
        with VideoAPI() as api:
            assert requests.post(IN_PROCESS + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200
        assert requests.get("https://other-service.test/health", timeout=5).status_code == 204
    assert len(api.journal) == 1


def test_assert_all_requests_are_fired_names_the_tests_own_routes_only(video_api: VideoAPI) -> None:
    responses.add(responses.GET, "https://other-service.test/health", status=204)  # beside the fake's routes
    try:
        assert requests.post(IN_PROCESS + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200
        # What `assert_all_requests_are_fired=True` reports at the end: the test's unused route, not the fake's.
        not_fired = [route.url for route in responses.mock.registered() if route.call_count == 0]
        assert not_fired == ["https://other-service.test/health"]
    finally:
        responses.remove(responses.GET, "https://other-service.test/health")


def test_where_remembers_urls_given_as_text_until_a_base_url_is_let_through() -> None:
    api = VideoAPI()
    url = "http://127.0.0.1:9/v1/video/generations"
    first = api.where(url)
    assert first == Where("http://127.0.0.1:9", "/v1/video/generations") and api.where(url) is first
    api.let_through("http://127.0.0.1:9")
    assert api.where(url) == LET_THROUGH
    assert api.where("http://127.0.0.1:9/health") == LET_THROUGH
    assert api.where("https://elsewhere.test/health") is None


def test_a_mounted_adapter_with_retries_is_served_and_retries_without_sleeping(video_api: VideoAPI) -> None:
    session = requests.Session()
    retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, respect_retry_after_header=False)
    session.mount("https://", HTTPAdapter(max_retries=retry))
    video_api.queue_failure("503")
    response = session.post(IN_PROCESS + CREATE, json=TEXT, headers=AUTH, timeout=5)
    assert response.status_code == 200
    assert [entry.status for entry in video_api.journal] == [503, 200]


def test_requests_bodies_of_every_kind_reach_the_engine_as_sent(video_api: VideoAPI) -> None:
    text = json.dumps(TEXT)
    bodies: list[Any] = [
        text,
        text.encode(),
        io.BytesIO(text.encode()),
        (chunk.encode() for chunk in (text[:9], text[9:])),
    ]
    for body in bodies:
        headers = {**AUTH, "Content-Type": "application/json"}
        assert requests.post(IN_PROCESS + CREATE, data=body, headers=headers, timeout=5).status_code == 200
    assert [entry.body for entry in video_api.journal] == [TEXT] * 4
