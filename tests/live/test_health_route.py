"""`GET /__mock/health` on every face: open to any caller, no data in it, 503 while shared state is away.

The `mockserver` command's health route is also what the GitHub Action and the image's
HEALTHCHECK wait on (tests/deploy/).
"""

from __future__ import annotations

import json

import httpx
import pytest

from mockserver.contract import ContractEngine, Settings
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from mockserver.state.redis_state import RedisState
from pytest_plugin import VideoServer
from tests.support.gunicorn_hosts import gunicorn_host
from tests.support.live_servers import live_server
from tests.support.redis_server import free_port

HEALTHY = {"status": "ok"}


def _router_answer(router: Router, path: str, caller: str) -> tuple[int, object]:
    reply = router.handle(Incoming("GET", path, remote_addr=caller))
    return reply.status, json.loads(reply.body)


def test_any_caller_gets_it_without_the_admin_token_and_nothing_else_opens() -> None:
    router = Router(ContractEngine(Settings(admin_token="admin-secret-5678")))
    assert _router_answer(router, "/__mock/health", "192.0.2.7") == (200, HEALTHY)
    assert _router_answer(router, "/__mock/journal", "192.0.2.7")[0] == 403
    loopback_only = Router(ContractEngine(Settings()))
    assert _router_answer(loopback_only, "/__mock/health", "192.0.2.7") == (200, HEALTHY)
    assert _router_answer(loopback_only, "/__mock/config", "192.0.2.7")[0] == 403


def test_shared_state_that_cannot_be_reached_makes_it_a_503() -> None:
    state = RedisState.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    router = Router(ContractEngine(Settings(), state=state))
    status, body = _router_answer(router, "/__mock/health", "127.0.0.1")
    assert status == 503
    assert isinstance(body, dict) and body["error"]["code"] == "state_unavailable"


def test_the_live_server_answers_get_and_head_and_refuses_writes() -> None:
    with live_server() as server, httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/__mock/health").json() == HEALTHY
        assert client.head("/__mock/health").status_code == 200
        refused = client.post("/__mock/health", json={})
        assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD")


def test_the_video_server_fixture_answers_it(video_server: VideoServer) -> None:
    # (video_api has no admin paths over HTTP: a test steers it in process.)
    assert httpx.get(f"{video_server.url}/__mock/health", timeout=10).json() == HEALTHY


@pytest.mark.slow
def test_gunicorn_workers_on_memory_state_answer_it() -> None:
    # Other admin reads of per-worker state are a 409 there; health is every worker's own.
    with gunicorn_host(2) as host:
        assert httpx.get(f"{host.url}/__mock/health", timeout=10).json() == HEALTHY
        assert httpx.get(f"{host.url}/__mock/journal", timeout=10).status_code == 409
