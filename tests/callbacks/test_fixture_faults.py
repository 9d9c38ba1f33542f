"""The `video_callbacks` fixture with `video_api` (in process, no socket): every delivery fault,
by every route a test can ask for it, a client that handles them and naive ones that do not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from mockserver.contract.callbacks import CALLBACK_FAULTS, RETRY_BACKOFF_SECONDS
from mockserver.contract.callbacks.outbox import EXTRA_FIELD
from pytest_plugin.callback_receiver import CallbackReceiver
from pytest_plugin.scenario import Scenario
from pytest_plugin.video_api import VideoAPI
from tests.support.callback_clients import BASE

VIDU = pytest.mark.video_api(dialect="vidu", base_url=BASE)
pytestmark = VIDU


@pytest.fixture
def http(video_callbacks: CallbackReceiver) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE, headers={"Authorization": f"Token {video_callbacks.token}"}) as client:
        yield client


def create(http: httpx.Client, receiver: CallbackReceiver, prefer: str | None = None) -> str:
    body = {"model": "viduq3-pro", "prompt": "a fox", "callback_url": receiver.url}
    answer = http.post("/ent/v2/text2video", json=body, headers={"Prefer": prefer} if prefer else {})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["task_id"])


# -- the fixture itself -------------------------------------------------------------------------
def test_the_url_is_faked_and_each_state_arrives_once_signed(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    assert video_callbacks.url.startswith("https://callbacks.vidu-mock.test/")
    task_id = create(http, video_callbacks)
    assert video_callbacks.deliveries == []  # created and queueing are not sent
    video_api.advance(task_id)
    assert video_callbacks.wait_for("processing").task_id == task_id
    video_api.complete(task_id)
    success = video_callbacks.wait_for("success", task_id=task_id)
    assert success.json == http.get(f"/ent/v2/tasks/{task_id}/creations").json()
    video_callbacks.assert_delivered("success", times=1, signed=True)
    video_callbacks.assert_delivered("processing", times=1, signed=True)
    records = video_api.callback_deliveries(task_id)
    assert [(r.state, r.attempt, r.outcome, r.status) for r in records] == [
        ("processing", 1, "delivered", 200),
        ("success", 1, "delivered", 200),
    ]


def test_polls_move_the_task_and_its_callbacks_go_out_before_the_next_answer(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks)
    states = [http.get(f"/ent/v2/tasks/{task_id}/creations").json()["state"] for _ in range(2)]
    assert states == ["processing", "success"]
    assert video_callbacks.states(task_id) == ["processing", "success"]


def test_a_failed_task_sends_failed_with_its_err_code(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks)
    video_api.fail(task_id)
    failed = video_callbacks.wait_for("failed")
    assert failed.json["err_code"] and failed.json["creations"] == []
    assert video_callbacks.states() == ["processing", "failed"]


def test_fail_next_answers_500_and_the_retries_follow_the_backoff_on_the_mock_clock(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks)
    video_api.advance(task_id)
    video_callbacks.wait_for("processing")
    video_callbacks.fail_next(2)
    started = video_api.now()
    video_api.complete(task_id)
    video_callbacks.wait_for("success")
    successes = [d for d in video_callbacks.deliveries if d.state == "success"]
    assert [d.answered for d in successes] == [500, 500, 200]
    assert video_api.now() - started == sum(RETRY_BACKOFF_SECONDS[:2])  # waiting moved the clock, nobody slept
    attempts = [(r.attempt, r.status, r.time - started) for r in video_api.callback_deliveries(state="success")]
    assert attempts == [(1, 500, 0.0), (2, 500, 1.0), (3, 200, 3.0)]


def test_a_processing_delivery_that_fails_is_not_retried_but_success_is_four_times_at_most(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks)
    video_callbacks.fail_next(10)
    video_api.complete(task_id)
    with pytest.raises(AssertionError, match=r"no success callback taken within 60 s"):
        video_callbacks.wait_for("success", timeout=60)
    attempts = [(r.state, r.attempt) for r in video_api.callback_deliveries(task_id)]
    assert attempts == [("processing", 1), ("success", 1), ("success", 2), ("success", 3), ("success", 4)]


def test_wait_for_times_out_on_the_mock_clock_and_tells_what_arrived(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks)
    video_api.advance(task_id)
    with pytest.raises(AssertionError) as failure:
        video_callbacks.wait_for("success", timeout=5)
    assert f"#1 processing of {task_id} signed -> 200" in str(failure.value)


def test_house_style_assertions_say_what_was_expected_and_what_came(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client
) -> None:
    task_id = create(http, video_callbacks, prefer="callback=duplicate; callback-state=success")
    video_api.complete(task_id)
    with pytest.raises(AssertionError, match=r"expected exactly one success, signed; got 2\. Received:"):
        video_callbacks.assert_delivered("success")
    assert len(video_callbacks.assert_delivered("success", times=2)) == 2


# -- every fault, by every route -----------------------------------------------------------------
def _check_drop(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    assert receiver.states(task_id) == ["processing"]
    outcomes = sorted((r.state, r.outcome) for r in api.callback_deliveries(task_id))
    assert outcomes == [("processing", "delivered"), ("success", "dropped")]


def _check_duplicate(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    assert receiver.states(task_id) == ["processing", "success", "success"]
    nonces = {d.headers["x-request-nonce"] for d in receiver.deliveries}
    assert len(nonces) == 3


def _check_out_of_order(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    assert receiver.states(task_id) == ["success", "processing"]


def _check_delay(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    before = api.now()
    assert receiver.states(task_id) == ["processing"]
    receiver.wait_for("success")
    assert api.now() - before == 7.0


def _check_bad_signature(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    receiver.assert_delivered("success", signed=False)
    receiver.assert_delivered("processing", signed=True)


def _check_extra_field(receiver: CallbackReceiver, api: VideoAPI, task_id: str) -> None:
    success = receiver.assert_delivered("success")[0]
    assert success.json[EXTRA_FIELD[0]] == EXTRA_FIELD[1]
    assert set(success.json) - {EXTRA_FIELD[0]} == set(receiver.deliveries[0].json)


CHECKS: dict[str, Callable[[CallbackReceiver, VideoAPI, str], None]] = {
    "drop": _check_drop,
    "duplicate": _check_duplicate,
    "out_of_order": _check_out_of_order,
    "delay": _check_delay,
    "bad_signature": _check_bad_signature,
    "extra_field": _check_extra_field,
}


def test_every_fault_has_a_check() -> None:
    assert set(CHECKS) == set(CALLBACK_FAULTS)


def _state(fault: str) -> str:
    return "processing" if fault == "out_of_order" else "success"


@pytest.mark.parametrize("route", ["admin API", "admin API per task", "Prefer", "plan", "scenario"])
@pytest.mark.parametrize("fault", CALLBACK_FAULTS)
def test_each_fault_through_each_route(
    video_api: VideoAPI, video_callbacks: CallbackReceiver, http: httpx.Client, fault: str, route: str
) -> None:
    state, delay = _state(fault), 7000 if fault == "delay" else 0
    prefer = None
    with ExitStack() as stack:
        if route == "admin API":
            body: dict[str, Any] = {"fault": fault, "state": state, "delay_ms": delay}
            answer = http.post("/__mock/callbacks/faults", json=body)
            assert answer.status_code == 201, answer.text
        elif route == "Prefer":
            prefer = f"callback={fault}; callback-state={state}" + (f"; callback-delay={delay}" if delay else "")
        elif route == "plan":
            video_api.plan_callback(fault, state=state, delay_ms=delay)  # type: ignore[arg-type]
        elif route == "scenario":
            scenario = Scenario.parse(_story(fault, state))
            assert str(scenario.callbacks[0]) == _story(fault, state)
            stack.enter_context(video_api.play(scenario))
        task_id = create(http, video_callbacks, prefer)
        if route == "admin API per task":
            body = {"fault": fault, "state": state, "delay_ms": delay, "task_id": task_id}
            assert http.post("/__mock/callbacks/faults", json=body).status_code == 201
        video_api.complete(task_id)
        CHECKS[fault](video_callbacks, video_api, task_id)
    faulted = [r for r in video_api.callback_deliveries(task_id) if r.fault is not None]
    assert faulted and {r.fault for r in faulted} == {fault}
    journal = http.get("/__mock/callbacks").json()
    assert fault in {e["fault"] for e in journal["deliveries"]}
    assert journal["faults"] == [] and journal["planned"] == []  # used up


def _story(fault: str, state: str) -> str:
    words = {
        "delay": "delayed 7000ms",
        "drop": "dropped",
        "duplicate": "delivered twice",
        "out_of_order": "delivered after the final state",
        "bad_signature": "badly signed",
        "extra_field": "with an unknown field",
    }
    return f"job 1: {state} {words[fault]}"
