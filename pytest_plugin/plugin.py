"""pytest wiring (entry point `vidu_mock`): fixtures, the `video_api` marker and one ini option.

Behaviour lives in `VideoAPI` and `VideoServer`, which work without pytest; this module only
connects them to tests. See docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Only pytest at import time: this module loads in every pytest run where vidu-mock is
# installed, so the fixtures import the fake (httpx, respx, JSON Schema, Flask) when used.
if TYPE_CHECKING:
    from mockserver.contract.admin.control import MockControl
    from mockserver.contract.settings import Settings
    from pytest_plugin.callback_receiver import CallbackReceiver
    from pytest_plugin.options import FakeOptions
    from pytest_plugin.video_api import VideoAPI
    from pytest_plugin.video_server import VideoServer, VideoServerPool

MARKER = "video_api"
INI_BASE_URL = "video_api_base_url"
FIXTURES = frozenset({"video_api", "video_server"})
# The fixtures a test used that check their rules were all used, once the test's own call passed.
_RULE_CHECKS = pytest.StashKey[list["MockControl"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the `video_api_base_url` ini option."""
    parser.addini(
        INI_BASE_URL,
        "Base URL the video_api fixture answers (everything under it); unset: the API's paths on any host.",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the `video_api` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(base_url=None, clock='manual', replay=None, assert_all_used=True, **settings): configure the "
        "video_api and video_server fixtures for a test: narrow video_api to a base URL, pick the clock ('manual', "
        "'system' or a Clock), answer from a folder of recordings (replay=DIR, replay_match='loose'), let queued "
        "failure rules stay unused (assert_all_used=False), and override any Settings field (lifecycle='time', "
        "tokens=('sk-test',), dialect='new-api', ...).",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give `@given` tests that use the fixtures the settings they need (see `hypothesis_settings`)."""
    for item in items:
        test = getattr(item, "obj", None)
        if FIXTURES & set(getattr(item, "fixturenames", ())) and getattr(test, "is_hypothesis_test", False):
            from pytest_plugin.hypothesis_settings import apply_to  # only a run with such a test loads it

            apply_to(test)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a test's own call passed, fail it if a fixture's required failure rules are still pending.

    Here rather than in the fixtures' teardown, so the test is reported failed, not errored.
    A test that failed anyway is not also told about its unused rules.
    """
    yield
    for control in item.stash.get(_RULE_CHECKS, []):
        from pytest_plugin.pending_rules import unused_rules_message  # loaded with the fixtures, not the plugin

        message = unused_rules_message(control)
        if message is not None:
            pytest.fail(message, pytrace=False)


def _check_rules_used(request: pytest.FixtureRequest, control: MockControl, wanted: bool) -> None:
    """Have `pytest_runtest_call` check `control`'s rules when the test's call ends (unless switched off)."""
    if wanted:
        request.node.stash.setdefault(_RULE_CHECKS, []).append(control)


def _options(request: pytest.FixtureRequest, settings: Settings) -> FakeOptions:
    from pytest_plugin.options import FakeOptions

    keywords: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):  # the closest marker wins
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}")
        keywords.update(marker.kwargs)
    return FakeOptions.build(settings, keywords, str(request.config.getini(INI_BASE_URL)) or None)


@pytest.fixture
def video_mock_settings() -> Settings:
    """Settings behind video_api and video_server: step lifecycle, any bearer token accepted.

    Override this fixture in conftest.py to change them for a project; a `video_api`
    marker changes them for one test.
    """
    from pytest_plugin.options import DEFAULT_SETTINGS

    return DEFAULT_SETTINGS


@pytest.fixture
def video_api(request: pytest.FixtureRequest, video_mock_settings: Settings) -> Iterator[VideoAPI]:
    """The fake video API in process, for httpx, httpx2 (the OpenAI SDK), requests and aiohttp; no server.

    Answers POST/GET /v1/video/generations… on any host (or only under the marker's
    `base_url` / the `video_api_base_url` ini option). It is a MockControl: journal,
    assert_requested, queue_failure, inject_fault, inject_latency, complete, advance_clock…
    Delays are recorded in `.delays`, not slept.
    """
    from pytest_plugin.options import new_clock
    from pytest_plugin.video_api import VideoAPI

    options = _options(request, video_mock_settings)
    with VideoAPI(options.settings, base_url=options.base_url, clock=new_clock(options.clock)) as api:
        if "video_server" in request.fixturenames:
            # Both in one test: requests to the live server must reach it, not this fake.
            api.let_through(request.getfixturevalue("video_server").url)
        _check_rules_used(request, api, options.assert_all_used)
        yield api


@pytest.fixture(scope="session")
def video_server_factory() -> Iterator[VideoServerPool]:
    """Session-wide pool of live mock servers, one per distinct Settings, stopped at the end."""
    from pytest_plugin.video_server import VideoServerPool

    pool = VideoServerPool()
    yield pool
    pool.close()


@pytest.fixture
def video_server(
    request: pytest.FixtureRequest, video_server_factory: VideoServerPool, video_mock_settings: Settings
) -> VideoServer:
    """The real mock server on http://127.0.0.1:<port> (`.url`), for requests, urllib, subprocesses.

    Shared by the session's tests, its state reset (and a fresh clock) before each test.
    The same MockControl API as video_api; delays and faults happen on the real socket.
    """
    from pytest_plugin.options import new_clock

    options = _options(request, video_mock_settings)
    server = video_server_factory.get(options.settings)
    server.reset(clock=new_clock(options.clock))
    _check_rules_used(request, server, options.assert_all_used)
    return server


@pytest.fixture
def video_callbacks(request: pytest.FixtureRequest) -> Iterator[CallbackReceiver]:
    """A receiver for Vidu's task callbacks: give `.url` as callback_url; `.deliveries`, `.wait_for`, `.assert_delivered`.

    With video_server (or nothing: a subprocess) it listens on loopback; with video_api only,
    its URL is faked and deliveries arrive without a socket. Signatures are checked with
    `.token` (send it as `Authorization: Token ...`); `.fail_next(n)` answers 500 to the next n.
    """
    from pytest_plugin.callback_receiver import CallbackReceiver

    receiver = CallbackReceiver()
    if "video_server" in request.fixturenames:
        request.getfixturevalue("video_server").receive_callbacks(receiver)
    elif "video_api" in request.fixturenames:
        request.getfixturevalue("video_api").receive_callbacks(receiver)
    else:
        receiver.serve()
    with receiver:
        yield receiver
