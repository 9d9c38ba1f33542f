"""The plugin's parts on their own: URL scope, options, the fake's start/stop, the server pool."""

from __future__ import annotations

import importlib
import sys

import httpcore
import httpcore2
import httpx
import pytest

from mockserver.contract.jobs.clock import ManualClock, SystemClock
from mockserver.contract.settings import Settings
from pytest_plugin import DEFAULT_SETTINGS, DEFAULT_URL, ApiScope, FakeOptions, VideoAPI, VideoServerPool
from pytest_plugin import video_api as video_api_module
from pytest_plugin.options import new_clock

AUTH = {"Authorization": "Bearer sk-unit"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}


# -- which URLs are answered -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://any.example/v1/video/generations", ("https://any.example", "/v1/video/generations")),
        ("http://10.0.0.1:8080/v1/video/generations/task_1", ("http://10.0.0.1:8080", "/v1/video/generations/task_1")),
        (
            "https://gw.example/a/b/v1/video/generations/t/content",
            ("https://gw.example/a/b", "/v1/video/generations/t/content"),
        ),
        ("https://any.example/v1/video/generations/?x=1", ("https://any.example", "/v1/video/generations/")),
        ("https://any.example/v1/models", None),
        ("https://any.example/v1/video/generations/a/b", None),
        ("https://any.example/v1/video/generationsX", None),
        # rev 2: the compatibility poll route and its video; and the OpenAI-style create (issue 26).
        ("https://gw.example/v1/videos/task_1", ("https://gw.example", "/v1/videos/task_1")),
        ("https://gw.example/p/v1/videos/task_1/content", ("https://gw.example/p", "/v1/videos/task_1/content")),
        ("https://any.example/v1/videos", ("https://any.example", "/v1/videos")),
        ("https://any.example/v1/videos/a/b", None),
        # rev 3: new-api's remix, on the OpenAI-style family only (issue 35).
        ("https://gw.example/p/v1/videos/task_1/remix", ("https://gw.example/p", "/v1/videos/task_1/remix")),
        ("https://any.example/v1/video/generations/task_1/remix", None),
    ],
)
def test_any_host_scope_answers_only_the_api_paths(url: str, expected: tuple[str, str] | None) -> None:
    assert ApiScope().split(httpx.URL(url)) == expected
    assert ApiScope().url == DEFAULT_URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.test/gw/v1/video/generations", ("https://api.test/gw", "/v1/video/generations")),
        ("https://api.test/gw/v1/anything", ("https://api.test/gw", "/v1/anything")),
        ("https://api.test/gw", ("https://api.test/gw", "/")),
        ("https://api.test:443/gw/x", ("https://api.test/gw", "/x")),
        ("http://api.test/gw/v1/video/generations", None),
        ("https://api.test:8443/gw/v1/video/generations", None),
        ("https://other.test/gw/v1/video/generations", None),
        ("https://api.test/gwx/v1/video/generations", None),
        ("https://api.test/v1/video/generations", None),
    ],
)
def test_base_url_scope_answers_everything_under_it(url: str, expected: tuple[str, str] | None) -> None:
    assert ApiScope("https://api.test/gw/v1/").split(httpx.URL(url)) == expected


def test_base_url_is_normalized_and_checked() -> None:
    assert ApiScope("https://api.test/v1").base_url == "https://api.test"
    assert ApiScope("https://api.test/").url == "https://api.test"
    for bad in ("ftp://api.test", "/relative/path", "https://"):
        with pytest.raises(ValueError, match="base_url must be an http"):
            ApiScope(bad)


# -- options -----------------------------------------------------------------------------------
def test_options_apply_marker_keywords_over_settings() -> None:
    options = FakeOptions.build(DEFAULT_SETTINGS, {"lifecycle": "time", "tokens": "a,b", "clock": "system"})
    assert (options.settings.lifecycle, options.settings.tokens, options.clock) == ("time", ("a", "b"), "system")
    assert options.base_url is None
    assert FakeOptions.build(DEFAULT_SETTINGS, {}, "https://ini.test").base_url == "https://ini.test"
    assert FakeOptions.build(DEFAULT_SETTINGS, {"base_url": "https://m.test"}, "https://ini.test").base_url == (
        "https://m.test"
    )
    assert FakeOptions.build(DEFAULT_SETTINGS, {}) == FakeOptions()
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        FakeOptions.build(DEFAULT_SETTINGS, {"colour": "red"})


def test_clock_choices() -> None:
    assert isinstance(new_clock(), ManualClock) and isinstance(new_clock("system"), SystemClock)
    mine = ManualClock(0)
    assert new_clock(mine) is mine
    with pytest.raises(ValueError, match="clock must be"):
        new_clock("sundial")  # type: ignore[arg-type]


def test_defaults_are_step_lifecycle_a_poll_after_header_and_any_token() -> None:
    assert Settings(lifecycle="step", poll_after_ms=1) == DEFAULT_SETTINGS
    assert DEFAULT_SETTINGS.tokens == ()


# -- the in-process fake outside pytest ---------------------------------------------------------
def test_start_patches_both_transports_and_stop_restores_them() -> None:
    originals = (httpcore.ConnectionPool.handle_request, httpcore2.ConnectionPool.handle_request)
    api = VideoAPI()
    with api:
        assert api.active
        assert httpcore.ConnectionPool.handle_request is not originals[0]
        assert httpcore2.ConnectionPool.handle_request is not originals[1]
        with pytest.raises(RuntimeError, match="already started"):
            api.start()
        httpx.post(f"{api.url}/v1/video/generations", json=TEXT, headers=AUTH)
    assert not api.active
    assert (httpcore.ConnectionPool.handle_request, httpcore2.ConnectionPool.handle_request) == originals
    assert len(api.journal) == 1  # state outlives the patching, for inspection
    api.stop()  # stopping twice is harmless


def test_a_failed_start_leaves_nothing_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    original = httpcore.ConnectionPool.handle_request

    def broken() -> None:
        raise RuntimeError("mocker unavailable")

    monkeypatch.setattr(video_api_module, "_httpcore2_mocker", broken)
    api = VideoAPI()
    with pytest.raises(RuntimeError, match="mocker unavailable"):
        api.start()
    assert not api.active and httpcore.ConnectionPool.handle_request is original


def test_transport_errors_use_the_httpcore2_imported_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytester's in-process runs drop the modules a run imported; httpx2 then maps the
    # exceptions of a fresh httpcore2, and the process-wide mocker must raise those.
    from pytest_plugin.httpcore2_mocker import to_httpcore2_error

    for name in [name for name in sys.modules if name == "httpcore2" or name.startswith("httpcore2.")]:
        monkeypatch.delitem(sys.modules, name)
    fresh = importlib.import_module("httpcore2")
    assert fresh is not httpcore2 and fresh.ReadError is not httpcore2.ReadError
    error = to_httpcore2_error(httpx.ReadError("reset"))
    assert type(error) is fresh.ReadError and str(error) == "reset"


def test_delays_are_recorded_not_slept() -> None:
    with VideoAPI(clock=ManualClock(0)) as api:
        api.inject_latency(45_000)  # longer than any test should wait
        response = httpx.post(f"{api.url}/v1/video/generations", json=TEXT, headers=AUTH, timeout=60)
        assert response.status_code == 200
        api.inject_latency(10, endpoint="poll")
        httpx.get(f"{api.url}/v1/video/generations/{response.json()['id']}", headers=AUTH)
    assert [(d.method, d.path, d.delay_ms) for d in api.delays] == [
        ("POST", "/v1/video/generations", 45_000),
        ("GET", f"/v1/video/generations/{response.json()['id']}", 10),
    ]
    assert response.json()["created_at"] == 0


def test_explicit_settings_and_engine_are_used() -> None:
    api = VideoAPI(Settings(lifecycle="time", strict=True))
    assert (api.engine.settings.lifecycle, api.engine.settings.strict) == ("time", True)
    assert VideoAPI(engine=api.engine).engine is api.engine
    assert VideoAPI().engine.settings == DEFAULT_SETTINGS


# -- the live server pool ----------------------------------------------------------------------
def test_pool_starts_one_server_per_distinct_settings_and_stops_them() -> None:
    pool = VideoServerPool()
    try:
        first = pool.get()
        assert pool.get(Settings(lifecycle="step", poll_after_ms=1)) is first
        other = pool.get(Settings(lifecycle="time"))
        assert other is not first and other.url != first.url and len(pool) == 2
        assert first.url.startswith("http://127.0.0.1:") and first.running
    finally:
        pool.close()
    assert not first.running and not other.running and len(pool) == 0


def test_server_reset_can_swap_the_clock() -> None:
    pool = VideoServerPool()
    try:
        server = pool.get()
        server.advance_clock(100)
        server.queue_failure(500)
        clock = ManualClock(42)
        server.reset(clock=clock)
        assert server.engine.clock is clock and server.now() == 42 and server.pending_failures == []
    finally:
        pool.close()
