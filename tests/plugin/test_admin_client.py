"""`AdminClient` steers a live mock over its admin API the way `MockControl` does in process.

Each call is checked against the same server's `MockControl` (the `video_server` fixture),
so the two surfaces cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.contract.jobs.lifecycle import TransitionError
from pytest_plugin import VideoServer
from pytest_plugin.admin_client import AdminClient, AdminError
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server


@pytest.fixture
def client(video_server: VideoServer) -> Iterator[AdminClient]:
    with AdminClient(video_server.url) as admin:
        yield admin


def _create(url: str, **fields: str) -> httpx.Response:
    return httpx.post(url + CREATE, json={**TEXT, **fields}, headers=AUTH, timeout=10)


def test_the_journal_and_assert_requested_match_the_servers_own(video_server: VideoServer, client: AdminClient) -> None:
    task = _create(video_server.url).json()["id"]
    _create(video_server.url, model="viduq3-turbo-540p")
    assert client.journal == video_server.journal
    [hit] = client.assert_requested(1, model="viduq3p-720p")
    assert hit.task_id == task
    assert client.requests("create") == video_server.requests("create")
    with pytest.raises(AssertionError) as over_http:
        client.assert_requested(3, mode="image-to-video")
    with pytest.raises(AssertionError) as in_process:
        video_server.assert_requested(3, mode="image-to-video")
    assert str(over_http.value) == str(in_process.value)
    assert "near miss: mode is 'text-to-video'" in str(over_http.value)
    client.clear_journal()
    assert video_server.journal == []


def test_queued_failures_and_job_plans_land_on_the_server(video_server: VideoServer, client: AdminClient) -> None:
    rule = client.queue_failure(503, times=2, model="viduq3p-720p")
    assert video_server.pending_failures == client.pending_failures == [rule]
    assert [_create(video_server.url).status_code for _ in range(3)] == [503, 503, 200]
    latency = client.inject_latency(5)
    fault = client.inject_fault("reset", endpoint="poll")
    assert video_server.pending_failures == [latency, fault]
    plan = client.plan_job("fail", polls=2)
    assert video_server.pending_jobs == client.pending_jobs == [plan]
    client.reset()
    assert (video_server.pending_failures, video_server.pending_jobs, video_server.journal) == ([], [], [])


def test_tasks_and_the_clock_move_as_the_server_says(video_server: VideoServer, client: AdminClient) -> None:
    task = _create(video_server.url).json()["id"]
    assert client.state(task) == video_server.state(task)
    assert client.advance(task) == video_server.state(task)
    assert client.complete(task).status == video_server.state(task).status == "completed"
    with pytest.raises(TransitionError, match="already completed"):
        client.stall(task)
    with pytest.raises(KeyError, match="task_not_found"):
        client.state("task_unknown")
    before = video_server.now()
    assert client.advance_clock(30) == video_server.now() == client.now() >= before + 30


def test_the_concurrency_cap_is_the_servers_own(video_server: VideoServer, client: AdminClient) -> None:
    assert client.token_concurrency == video_server.token_concurrency == 0
    assert client.set_token_concurrency(1) == 1 == video_server.token_concurrency == client.token_concurrency
    assert _create(video_server.url).status_code == 200
    assert _create(video_server.url).status_code == 429  # the first task is still in flight
    with pytest.raises(ValueError, match="400 invalid_value"):
        client.set_token_concurrency(-1)
    assert client.set_token_concurrency(0) == 0 == video_server.token_concurrency
    assert _create(video_server.url).status_code == 200


def test_a_refused_value_is_a_value_error_in_the_servers_words(client: AdminClient) -> None:
    with pytest.raises(ValueError, match=r"POST /__mock/failures -> 400 .*Bad failure rule"):
        client.queue_failure("no-such-error")
    with pytest.raises(ValueError, match="400"):
        client.plan_job("explode")  # type: ignore[arg-type]  # a wrong outcome, on purpose


def test_an_admin_token_is_sent_when_given_and_needed_when_set() -> None:
    with live_server(admin_token="admin-secret-1234") as server:
        with AdminClient(server.url) as anonymous, pytest.raises(AdminError, match="403 admin_forbidden"):
            _ = anonymous.journal
        with AdminClient(server.url, admin_token="admin-secret-1234") as admin:
            assert admin.journal == []
            assert admin.healthy()
    with AdminClient(server.url) as gone:
        assert not gone.healthy()  # nothing listens any more
