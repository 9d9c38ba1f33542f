"""The parts around the delivery plan: story words, strategies, Prefer, the admin API's refusals, settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.contract.callbacks import CALLBACK_FAULTS, verify
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import parse_prefer
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from pytest_plugin.callback_step import CALLBACK_WORDS, CallbackStep
from pytest_plugin.strategies import (
    TAMPERINGS,
    CallbackDelivery,
    callback_bodies,
    callback_deliveries,
    callback_steps,
    scenarios,
)

TOKEN = "vda-strategy-token"


def test_every_fault_has_its_words_and_each_story_parses_back() -> None:
    assert set(CALLBACK_WORDS) == set(CALLBACK_FAULTS)
    for fault in CALLBACK_FAULTS:
        state = "processing" if fault == "out_of_order" else "failed"
        step = CallbackStep(2, state, fault)  # type: ignore[arg-type]
        assert CallbackStep.parse(2, str(step).partition(": ")[2]) == step


def test_a_bad_step_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match=r"out_of_order delivers a late processing"):
        CallbackStep(1, "success", "out_of_order")
    with pytest.raises(ValueError, match=r"not a callback step: 'success eaten'"):
        CallbackStep.parse(1, "success eaten")


@given(callback_deliveries(TOKEN))
def test_valid_deliveries_verify(delivery: CallbackDelivery) -> None:
    assert delivery.tampering is None
    assert verify(TOKEN, delivery.url, delivery.headers)
    assert delivery.json["state"] in ("processing", "success", "failed")
    assert TOKEN not in str(delivery.headers)


@given(callback_deliveries(TOKEN, tampered=True))
def test_tampered_deliveries_never_verify(delivery: CallbackDelivery) -> None:
    assert delivery.tampering in TAMPERINGS
    assert not verify(TOKEN, delivery.url, delivery.headers)


@given(callback_bodies(states=("success",)))
def test_success_bodies_carry_a_creation(body: dict[str, Any]) -> None:
    assert body["state"] == "success" and body["creations"] and body["err_code"] == ""


@pytest.mark.parametrize(
    "call",
    [
        lambda: callback_deliveries(""),
        lambda: callback_bodies(states=("queueing",)),
        lambda: callback_steps(faults=("lose",)),
        lambda: callback_steps(max_job=0),
        lambda: scenarios(max_callback_steps=1),
    ],
)
def test_bad_strategy_arguments_raise_at_once(call: Any) -> None:
    with pytest.raises(InvalidArgument):
        call()


def test_prefer_asks_for_a_fault_on_the_created_task() -> None:
    prefs = parse_prefer("callback=delay; callback-state=success; callback-delay=1500")
    [rule] = prefs.callbacks
    assert (rule.fault, rule.state, rule.delay_ms, rule.task_id) == ("delay", "success", 1500, None)
    assert prefs.callback_applied == "callback=delay" and prefs.applied == ()  # listed once a route honours it


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("callback=lose", "callback must be one of drop, duplicate"),
        ("callback=drop; callback-state=queueing", "callback-state must be one of processing"),
        ("callback=delay; callback-delay=soon", "callback-delay must be whole milliseconds"),
        ("callback-state=success", "go with callback=<fault>"),
        ("callback=drop; callback-delay=5", "delay_ms goes with the delay fault only"),
    ],
)
def test_a_bad_callback_preference_is_a_400_naming_it(header: str, message: str) -> None:
    with pytest.raises(ApiError, match=message):
        parse_prefer(header)


def admin(router: Router, method: str, path: str, body: bytes = b"") -> Any:
    return router.handle(Incoming(method, path, {"Content-Type": "application/json"}, body))


def test_the_admin_api_refuses_a_bad_fault_in_our_words_and_lists_what_is_queued() -> None:
    router = Router(ContractEngine(Settings(dialect="vidu", lifecycle="step"), ManualClock()))
    refused = admin(router, "POST", "/__mock/callbacks/faults", b'{"fault": "lose"}')
    assert refused.status == 400 and "one of drop, duplicate" in refused.body.decode()
    both = admin(router, "POST", "/__mock/callbacks/faults", b'{"fault": "drop", "task_id": "t", "job": 1}')
    assert both.status == 400 and "not both" in both.body.decode()
    assert admin(router, "POST", "/__mock/callbacks/faults", b'{"fault": "drop", "job": 2}').status == 201
    assert (
        admin(router, "POST", "/__mock/callbacks/faults", b'{"fault": "duplicate", "state": "success"}').status == 201
    )
    listed = admin(router, "GET", "/__mock/callbacks/faults").json()
    assert [(p["job"], p["fault"]) for p in listed["planned"]] == [(2, "drop")]
    assert [f["fault"] for f in listed["faults"]] == ["duplicate"]
    assert admin(router, "DELETE", "/__mock/callbacks/faults").json() == {"faults": [], "planned": []}
    assert admin(router, "PUT", "/__mock/callbacks").status == 405
    assert admin(router, "GET", "/__mock/callbacks").json() == {
        "deliveries": [],
        "faults": [],
        "planned": [],
        "waiting": 0,
    }


def test_other_dialects_never_call_back() -> None:
    engine = ContractEngine(Settings(lifecycle="step"), ManualClock())
    body = b'{"model": "viduq3p-720p", "prompt": "a fox", "callback_url": "http://127.0.0.1:9/cb"}'
    created = Router(engine).handle(
        Incoming(
            "POST", "/v1/video/generations", {"Authorization": "Bearer t", "Content-Type": "application/json"}, body
        )
    )
    assert created.status == 200
    assert engine.callbacks.watched == 0


def test_callback_allow_takes_host_names_only() -> None:
    assert Settings().with_updates(callback_allow="Hooks.Example.com, 10.0.0.7").callback_allow == (
        "hooks.example.com",
        "10.0.0.7",
    )
    for bad in ("*", "host:8080", "http://host"):
        with pytest.raises(ValueError, match="callback_allow"):
            Settings(callback_allow=(bad,))


def _create(dialect: str, prefer: str, callback_url: str | None = "http://127.0.0.1:9/cb") -> tuple[Any, Any]:
    """A create in `dialect` with `Prefer: prefer` (and a `callback_url`): the engine and its answer."""
    engine = ContractEngine(Settings(lifecycle="step", dialect=dialect), ManualClock())
    vidu = dialect == "vidu"
    body: dict[str, Any] = {"model": "viduq3-pro" if vidu else "viduq3p-720p", "prompt": "a fox"}
    if callback_url is not None:
        body["callback_url"] = callback_url
    headers = {"Authorization": "Token t" if vidu else "Bearer t", "Content-Type": "application/json"}
    path = "/ent/v2/text2video" if vidu else "/v1/video/generations"
    answer = Router(engine).handle(Incoming("POST", path, headers | {"Prefer": prefer}, json.dumps(body).encode()))
    assert answer.status == 200, answer.body
    return engine, answer


@pytest.mark.parametrize("dialect", ["uniall", "new-api"])
def test_a_gateway_dialect_never_lists_callback_as_applied(dialect: str) -> None:
    # RFC 7240 §3: only preferences honoured are listed; these dialects never call back.
    engine, answer = _create(dialect, "callback=drop, delay=0")
    assert (engine.callbacks.watched, answer.headers["Preference-Applied"]) == (0, "delay=0")
    engine, answer = _create(dialect, "callback=duplicate")
    assert "Preference-Applied" not in answer.headers


def test_the_vidu_dialect_lists_callback_when_the_task_is_called_back() -> None:
    engine, answer = _create("vidu", "callback=drop, delay=0")
    assert (engine.callbacks.watched, answer.headers["Preference-Applied"]) == (1, "delay=0, callback=drop")
    engine, answer = _create("vidu", "callback=duplicate")
    assert answer.headers["Preference-Applied"] == "callback=duplicate"
    engine, answer = _create("vidu", "callback=drop", callback_url=None)  # nothing to call back: not honoured
    assert (engine.callbacks.watched, answer.headers.get("Preference-Applied")) == (0, None)
