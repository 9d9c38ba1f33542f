"""The plugin as a consumer meets it: test files run by pytester, with the entry point's fixtures."""

from __future__ import annotations

import inspect

import pytest

from pytest_plugin import plugin

HEADER = """
import httpx, pytest, requests

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
IMAGE = {"model": "viduq3t-540p", "image": "https://example.com/a.png"}
"""


def test_consumer_tests_pass_with_no_configuration(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HEADER
        + """
def test_in_process(video_api):
    job = httpx.post("https://my-gateway.example/v1/video/generations", json=TEXT, headers=AUTH).json()
    for _ in range(2):
        job = httpx.get(f"https://my-gateway.example/v1/video/generations/{job['id']}", headers=AUTH).json()
    assert job["status"] == "completed"
    video_api.assert_requested(1, mode="text-to-video")

def test_live(video_server):
    response = requests.post(video_server.url + "/v1/video/generations", json=TEXT, headers=AUTH, timeout=5)
    assert response.status_code == 200
    video_server.assert_requested(1)

def test_live_state_is_reset_between_tests(video_server):
    assert video_server.journal == [] and video_server.pending_failures == []
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_a_wrong_expectation_fails_with_the_near_misses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.parametrize("fixture", ["video_api", "video_server"])
def test_expects_text_to_video(request, fixture):
    fake = request.getfixturevalue(fixture)
    httpx.post(fake.url + "/v1/video/generations", json=IMAGE, headers=AUTH)
    fake.assert_requested(mode="text-to-video")
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "E  *AssertionError: expected at least 1 create request(s) with mode='text-to-video', got 0.",
            "E  *Received:",
            "E  *#1 POST /v1/video/generations -> 200 (model='viduq3t-540p', mode='image-to-video') "
            "near miss: mode is 'image-to-video', not 'text-to-video'",
        ]
    )
    # Count the traceback lines only: the short summary may repeat the message, depending on terminal width.
    reported = [line for line in result.stdout.lines if line.startswith("E ") and "near miss: mode is" in line]
    assert len(reported) == 2


def test_fixtures_listing_shows_every_docstring(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    assert result.ret == 0
    out = result.stdout.str()
    for fixture in (plugin.video_api, plugin.video_server, plugin.video_server_factory, plugin.video_mock_settings):
        doc = inspect.getdoc(fixture)
        assert doc, fixture
        assert doc.splitlines()[0] in out


def test_marker_narrows_video_api_to_a_base_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.video_api(base_url="https://ours.test/v1")
def test_narrowed(video_api):
    assert video_api.base_url == "https://ours.test"
    assert httpx.post("https://ours.test/v1/video/generations", json=TEXT, headers=AUTH).status_code == 200
    missing = httpx.get("https://ours.test/v1/models", headers=AUTH)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.post("https://theirs.test/v1/video/generations", json=TEXT, headers=AUTH)
    assert [entry.path for entry in video_api.journal] == ["/v1/video/generations"]

def test_unmarked_answers_any_host(video_api):
    assert video_api.base_url is None
    for host in ("ours.test", "theirs.test"):
        assert httpx.post(f"https://{host}/v1/video/generations", json=TEXT, headers=AUTH).status_code == 200
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.get("https://ours.test/v1/models")
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_ini_option_sets_the_base_url_and_the_marker_overrides_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nvideo_api_base_url = https://from-ini.test\n")
    pytester.makepyfile(
        HEADER
        + """
def test_ini(video_api):
    assert video_api.url == "https://from-ini.test"
    with pytest.raises(AssertionError, match="not mocked"):
        httpx.post("https://elsewhere.test/v1/video/generations", json=TEXT, headers=AUTH)

@pytest.mark.video_api(base_url="https://from-marker.test")
def test_marker_wins(video_api):
    assert video_api.url == "https://from-marker.test"
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_settings_fixture_and_marker_configure_both_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from mockserver.contract import Settings

@pytest.fixture
def video_mock_settings():
    return Settings(lifecycle="step", tokens=("sk-project",))
"""
    )
    pytester.makepyfile(
        HEADER
        + """
pytestmark = pytest.mark.parametrize("fixture", ["video_api", "video_server"])

def test_project_tokens(request, fixture):
    fake = request.getfixturevalue(fixture)
    url = fake.url + "/v1/video/generations"
    assert httpx.post(url, json=TEXT, headers=AUTH).status_code == 401
    assert httpx.post(url, json=TEXT, headers={"Authorization": "Bearer sk-project"}).status_code == 200

@pytest.mark.video_api(lifecycle="time", tokens=(), clock="manual")
def test_marker_overrides(request, fixture):
    fake = request.getfixturevalue(fixture)
    job = httpx.post(fake.url + "/v1/video/generations", json=TEXT, headers=AUTH).json()
    assert fake.engine.settings.lifecycle == "time" and fake.state(job["id"]).status == "queued"
    fake.advance_clock(10)
    assert fake.state(job["id"]).status == "completed"
"""
    )
    pytester.runpytest().assert_outcomes(passed=4)


def test_bad_marker_arguments_are_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.video_api(lifecycel="time")
def test_typo(video_api):
    pass

@pytest.mark.video_api("positional")
def test_positional(video_server):
    pass

@pytest.mark.video_api(clock="sundial")
def test_clock(video_api):
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ValueError: unknown setting 'lifecycel'; known: host, port, *",
            "*UsageError: @pytest.mark.video_api takes keyword arguments only, got ('positional',)",
            "*ValueError: clock must be 'manual', 'system' or an object with now(), got 'sundial'",
        ],
        consecutive=False,
    )


def test_markers_at_several_levels_merge_the_closest_winning(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

pytestmark = pytest.mark.video_api(base_url="https://module.test", lifecycle="time", strict=True)

@pytest.mark.video_api(lifecycle="step")
class TestMerged:
    @pytest.mark.video_api(tokens=("sk-a",))
    def test_all_levels(self, video_api):
        settings = video_api.engine.settings
        assert (video_api.base_url, settings.lifecycle, settings.strict, settings.tokens) == (
            "https://module.test", "step", True, ("sk-a",)
        )
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_consumers_requests_and_aiohttp_code_runs_under_video_api_with_no_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import asyncio, socket
import aiohttp, pytest, requests

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
BASE = "https://videos.my-company.example"


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch):
    def refuse(*args):
        raise AssertionError("a socket was connected")
    monkeypatch.setattr(socket.socket, "connect", refuse)


# -- the application's code ------------------------------------------------------------------
def make_video_with_requests(session):
    job = session.post(f"{BASE}/v1/video/generations", json=TEXT, timeout=10).json()
    while job["status"] not in ("completed", "failed"):
        job = session.get(f"{BASE}/v1/video/generations/{job['id']}", timeout=10).json()
    with session.get(job["video_url"], stream=True, timeout=10) as video:
        return b"".join(video.iter_content(4096))


async def make_video_with_aiohttp():
    async with aiohttp.ClientSession(BASE, headers=AUTH) as session:
        async with session.post("/v1/video/generations", json=TEXT) as response:
            job = await response.json()
        while job["status"] not in ("completed", "failed"):
            async with session.get(f"/v1/video/generations/{job['id']}") as response:
                job = await response.json()
        async with session.get(job["video_url"]) as video:
            return await video.content.read()


# -- its tests ------------------------------------------------------------------------------
def test_requests_code(video_api):
    session = requests.Session()
    session.headers.update(AUTH)
    assert make_video_with_requests(session)[4:8] == b"ftyp"
    video_api.assert_requested(1, mode="text-to-video")
    video_api.assert_requested(2, endpoint="poll")
    video_api.assert_requested(1, endpoint="content")


def test_aiohttp_code(video_api):
    assert asyncio.run(make_video_with_aiohttp())[4:8] == b"ftyp"
    video_api.assert_requested(1, mode="text-to-video")
    video_api.assert_requested(2, endpoint="poll")


def test_a_429_reaches_requests_with_retry_after(video_api):
    video_api.queue_failure("429")
    response = requests.post(f"{BASE}/v1/video/generations", json=TEXT, headers=AUTH, timeout=10)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 0
    assert requests.post(f"{BASE}/v1/video/generations", json=TEXT, headers=AUTH, timeout=10).status_code == 200


def test_a_reset_is_each_clients_connection_error_and_the_next_call_succeeds(video_api):
    video_api.inject_fault("reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{BASE}/v1/video/generations", json=TEXT, headers=AUTH, timeout=10)
    assert requests.post(f"{BASE}/v1/video/generations", json=TEXT, headers=AUTH, timeout=10).status_code == 200
    video_api.inject_fault("reset")
    with pytest.raises(aiohttp.ClientError):
        asyncio.run(make_video_with_aiohttp())
    assert asyncio.run(make_video_with_aiohttp())[4:8] == b"ftyp"
    video_api.assert_requested(4)
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)
