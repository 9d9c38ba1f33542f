"""No silent no-ops: a rule that can never fire is refused, and one left unused fails its test.

Each face a user queues rules on: `video_api`, `video_server`, and the admin API of the
live server; the pending-rule check as a consumer meets it, through pytester.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_plugin import VideoAPI, VideoServer
from tests.support.live_servers import AUTH, CREATE, TEXT

FACES = ("video_api", "video_server")


@pytest.mark.parametrize("face", FACES)
def test_a_model_typo_is_refused_naming_the_model_meant(request: pytest.FixtureRequest, face: str) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    with pytest.raises(
        ValueError, match=r"model='viduq3-720p' can never match a request: did you mean 'viduq3p-720p'\?"
    ):
        mock.queue_failure(429, model="viduq3-720p")
    with pytest.raises(ValueError, match=r"did you mean 'text-to-video'\?"):
        mock.inject_fault("reset", mode="text-to-vido")
    with pytest.raises(ValueError, match=r"endpoint='pol' .*did you mean 'poll'\?"):
        mock.inject_latency(10, endpoint="pol")  # type: ignore[arg-type]  # the typo under test
    assert mock.pending_failures == []  # nothing queued


@pytest.mark.parametrize(
    ("rule", "field", "meant"),
    [
        ({"error": 429, "model": "viduq3-720p"}, None, "viduq3p-720p"),
        ({"error": 429, "mode": "image-to-vide"}, "mode", "image-to-video"),
        ({"error": 429, "endpoint": "contents"}, "endpoint", "content"),
    ],
)
def test_the_admin_api_refuses_a_typo_naming_the_value_meant(
    video_server: VideoServer, rule: dict[str, object], field: str | None, meant: str
) -> None:
    answer = httpx.post(f"{video_server.url}/__mock/failures", json=rule, timeout=5)
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error["param"]) == (400, "invalid_value", field), answer.text
    assert f"did you mean {meant!r}?" in error["message"]
    assert video_server.pending_failures == []


@pytest.mark.parametrize("face", FACES)
def test_a_rule_retry_after_ms_is_its_own_wait(request: pytest.FixtureRequest, face: str) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    mock.queue_failure(429, retry_after_ms=2500)
    mock.queue_failure(503)
    with httpx.Client(base_url=mock.url, timeout=5) as client:
        own = client.post(CREATE, json=TEXT, headers=AUTH)
        server = client.post(CREATE, json=TEXT, headers=AUTH)
    assert (own.status_code, own.headers["retry-after-ms"], own.headers["Retry-After"]) == (429, "2500", "3")
    assert (server.status_code, server.headers["retry-after-ms"], server.headers["Retry-After"]) == (503, "200", "1")


def test_the_admin_api_takes_a_rule_retry_after_ms(video_server: VideoServer) -> None:
    queued = httpx.post(f"{video_server.url}/__mock/failures", json={"error": 503, "retry_after_ms": 1001}, timeout=5)
    assert queued.status_code == 201 and queued.json()["retry_after_ms"] == 1001
    answer = httpx.post(video_server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
    assert (answer.status_code, answer.headers["retry-after-ms"], answer.headers["Retry-After"]) == (503, "1001", "2")


PENDING = """
import httpx, pytest

AUTH = {"Authorization": "Bearer sk-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}

@pytest.mark.parametrize("fixture", ["video_api", "video_server"])
def test_retry_path_never_runs(request, fixture):
    fake = request.getfixturevalue(fixture)
    fake.queue_failure(429, model="viduq3t-540p")
    fake.queue_failure(502, endpoint="poll", times=2)
    assert httpx.post(fake.url + "/v1/video/generations", json=TEXT, headers=AUTH).status_code == 200

@pytest.mark.video_api(assert_all_used=False)
def test_switched_off_for_the_test(video_api):
    video_api.queue_failure(429)

def test_switched_off_for_one_rule(video_server):
    video_server.queue_failure(429, required=False)
    video_server.inject_fault("reset", endpoint="poll", required=False)

def test_used_rules_pass(video_api):
    video_api.queue_failure(503)
    assert httpx.post(video_api.url + "/v1/video/generations", json=TEXT, headers=AUTH).status_code == 503

def test_a_failing_test_is_not_told_twice(video_api):
    video_api.queue_failure(429)
    assert False, "the test's own failure"
"""


def test_rules_still_pending_fail_the_test_naming_each(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PENDING)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=3)
    for face in ("video_api", "video_server"):
        result.stdout.fnmatch_lines(
            [
                f"*_ test_retry_path_never_runs?{face}? _*",
                "*2 queued failure rule(s) never fired, so the code they were meant to test never ran:",
                "*  queue_failure('429', model='viduq3t-540p')",
                "*  queue_failure('502', times=2, endpoint='poll')",
                "*required=False*assert_all_used=False*",
            ]
        )
    # Count in the failure reports only: where CI is set, pytest prints the short summary untruncated,
    # so each message shows there a second time.
    reports = result.stdout.str().split("short test summary info")[0]
    assert reports.count("never fired") == 2  # not for the failing test, nor the switched-off ones


HYPOTHESIS = """
import httpx
from hypothesis import given, strategies as st

AUTH = {"Authorization": "Bearer sk-test"}

@given(prompt=st.text(min_size=1, max_size=20).filter(str.strip))
def test_no_settings_needed(video_api, prompt):
    video_api.reset()
    body = {"model": "viduq3p-720p", "prompt": prompt}
    assert httpx.post(video_api.url + "/v1/video/generations", json=body, headers=AUTH).status_code == 200
    video_api.assert_requested(1)

@given(st.integers())
def test_other_tests_keep_the_health_check(tmp_path, number):
    pass
"""


def test_given_tests_with_the_fixtures_need_no_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(HYPOTHESIS)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_other_tests_keep_the_health_check*uses a function-scoped fixture 'tmp_path'*"])


@pytest.mark.parametrize("face", FACES)
def test_a_journal_filter_that_can_never_match_is_refused(request: pytest.FixtureRequest, face: str) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    with pytest.raises(ValueError, match=r"modl= is not a field of a journal entry \(did you mean model=\?\)"):
        mock.assert_requested(0, modl="viduq3p-720p")  # would pass without looking
    with pytest.raises(ValueError, match=r"endpoint='pol' .*did you mean 'poll'\?"):
        mock.assert_requested(0, endpoint="pol")
    assert mock.requests("poll", model="sora-2") == []  # what a client may send: looked for, not refused


def test_the_admin_client_takes_the_same_rules_and_refusals(video_server: VideoServer) -> None:
    from pytest_plugin.admin_client import AdminClient

    client = AdminClient(video_server.url)
    try:
        with pytest.raises(ValueError, match=r"did you mean 'viduq3p-720p'\?"):
            client.queue_failure(429, model="viduq3-720p")
        with pytest.raises(ValueError, match=r"did you mean 'poll'\?"):
            client.assert_requested(0, endpoint="pol")
        rule = client.queue_failure(429, retry_after_ms=900, required=False)
        assert (rule.retry_after_ms, rule.required) == (900, False)
        answer = httpx.post(video_server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
        assert (answer.status_code, answer.headers["retry-after-ms"], answer.headers["Retry-After"]) == (
            429,
            "900",
            "1",
        )
    finally:
        client.close()
