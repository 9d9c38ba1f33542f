"""The core's replay, with no face: sequences, matching rules, injection on top, the admin API."""

from __future__ import annotations

import json

from mockserver.contract import ContractEngine, Incoming, ManualClock, Settings
from mockserver.contract.replay.format import Exchange
from mockserver.contract.replay.matching import Replay
from mockserver.contract.routes.router import Router

JSON = {"content-type": "application/json"}
AUTH = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
TASK = "/v1/video/generations/task_r1"


def _answer(payload: object) -> bytes:
    return json.dumps(payload).encode()


def _recording() -> list[Exchange]:
    create = b'{"model": "viduq3p-720p", "prompt": "a fox"}'
    return [
        Exchange(
            1, "POST", "/v1/video/generations", 401, {}, create, JSON, _answer({"error": "no key"}), endpoint="create"
        ),
        Exchange(
            2,
            "POST",
            "/v1/video/generations",
            200,
            {"authorization": "Bearer [redacted]"},
            create,
            JSON,
            _answer({"id": "task_r1"}),
            endpoint="create",
            task_id="task_r1",
        ),
        *(
            Exchange(
                n,
                "GET",
                TASK,
                200,
                {},
                b"",
                {**JSON, "set-cookie": "[redacted]"},
                _answer({"status": state}),
                endpoint="poll",
                task_id="task_r1",
            )
            for n, state in ((3, "queued"), (4, "in_progress"), (5, "completed"))
        ),
    ]


def _router() -> Router:
    engine = ContractEngine(Settings(lifecycle="step"), ManualClock())
    engine.replay = Replay(_recording())
    return Router(engine)


def _poll(router: Router, method: str = "GET", **headers: str) -> object:
    reply = router.handle(Incoming(method, TASK, {**AUTH, **headers}))
    return reply.json()["status"] if reply.status == 200 else reply.status


def test_polls_step_through_the_sequence_then_stay_on_the_last() -> None:
    router = _router()
    assert [_poll(router) for _ in range(5)] == ["queued", "in_progress", "completed", "completed", "completed"]


def test_a_request_with_a_key_gets_the_recording_made_with_one() -> None:
    router = _router()
    body = b'{"prompt": "a fox", "model": "viduq3p-720p"}'  # the same JSON, keys in another order
    keyed = router.handle(Incoming("POST", "/v1/video/generations", AUTH, body))
    keyless = router.handle(Incoming("POST", "/v1/video/generations", {"Content-Type": "application/json"}, body))
    assert (keyed.status, keyed.json(), keyed.task_id) == (200, {"id": "task_r1"}, "task_r1")
    assert keyless.status == 401


def test_redacted_headers_are_not_replayed() -> None:
    reply = _router().handle(Incoming("GET", TASK, AUTH))
    assert "set-cookie" not in reply.headers and reply.headers["content-type"] == "application/json"


def test_injection_and_the_admin_api_work_on_top_of_the_recording() -> None:
    router = _router()
    assert _poll(router, Prefer="code=503") == 503  # the Prefer header wins over the recording
    failure = {"error": "429", "endpoint": "poll"}
    assert router.handle(Incoming("POST", "/__mock/failures", JSON, json.dumps(failure).encode())).status == 201
    assert _poll(router) == 429
    assert _poll(router) == "queued", "injected answers do not use up the recorded sequence"
    assert _poll(router) == "in_progress"
    assert router.handle(Incoming("POST", "/__mock/reset")).status == 200
    assert _poll(router) == "queued", "a reset rewinds every sequence"
    entries = router.handle(Incoming("GET", "/__mock/journal")).json()["entries"]
    assert [(e["endpoint"], e["status"], e["task_id"]) for e in entries] == [("poll", 200, "task_r1")]


def test_head_is_answered_as_get() -> None:
    router = _router()
    head = router.handle(Incoming("HEAD", TASK, AUTH))
    assert head.status == 200
    assert _poll(router) == "in_progress", "the HEAD took the first step"
