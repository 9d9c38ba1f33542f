"""The delivery plan: one delivery per state change, retries on the mock's clock, faults, the journal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract.callbacks import CallbackOutbox, CallbackRule, refusal, verify
from mockserver.contract.callbacks.outbox import EXTRA_FIELD, RETRY_BACKOFF_SECONDS, STATE_OF_STATUS
from mockserver.contract.jobs.lifecycle import JobView, Task

URL = "http://127.0.0.1:9/cb?x=1"
TOKEN = "vda_secret"


def render(task: Task, view: JobView, base_url: str) -> dict[str, Any]:
    return {"id": task.id, "state": STATE_OF_STATUS.get(view.status, view.status)}


def new_task(task_id: str = "t1", outcome: Any = "succeed") -> Task:
    return Task(task_id, "owner", "viduq3-pro", "text-to-video", 0.0, outcome, 0, 0, "step")


def sent_states(outbox: CallbackOutbox, now: float, status: int = 200) -> list[str]:
    """Take what is due, answer each with `status`, and return the states sent (bodies' `state`)."""
    states = []
    for out in outbox.due(now):
        states.append(json.loads(out.body)["state"])
        outbox.settle(out.delivery, now, status=status, latency_ms=1.0)
    return states


def test_each_state_change_is_delivered_once_in_order_signed() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    assert outbox.observe(0, render) == 0  # queued: nothing to say
    task.pin("in_progress", 0)
    outbox.observe(0, render)
    outbox.observe(0, render)  # looking again changes nothing
    [out] = outbox.due(0)
    assert json.loads(out.body) == {"id": "t1", "state": "processing"}
    assert verify(TOKEN, URL, out.headers) and TOKEN not in json.dumps(out.headers)
    outbox.settle(out.delivery, 0, status=200, latency_ms=3)
    task.pin("completed", 1)
    outbox.observe(1, render)
    assert sent_states(outbox, 1) == ["success"]
    journal = outbox.journal()
    assert [(r.state, r.attempt, r.outcome, r.status) for r in journal] == [
        ("processing", 1, "delivered", 200),
        ("success", 1, "delivered", 200),
    ]


def test_a_task_seen_only_at_its_end_still_gets_processing_first() -> None:
    outbox, task = CallbackOutbox(), new_task(outcome="fail")
    outbox.watch(task, URL, TOKEN)
    task.pin("failed", 5)
    outbox.observe(5, render)
    assert sent_states(outbox, 5) == ["processing", "failed"]


def test_a_failed_final_delivery_is_tried_three_more_times_after_the_documented_backoff() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    task.pin("completed", 0)
    outbox.observe(0, render)
    now = 0.0
    assert sent_states(outbox, now, 500) == ["processing", "success"]
    for backoff in RETRY_BACKOFF_SECONDS:
        assert outbox.due(now + backoff - 0.001) == []  # not before its back-off on the mock's clock
        now += backoff
        assert outbox.next_due() == now
        assert sent_states(outbox, now, 503) == ["success"]
    assert outbox.next_due() is None  # four attempts, then it gives up
    success = [r for r in outbox.journal() if r.state == "success"]
    assert [r.attempt for r in success] == [1, 2, 3, 4]
    processing = [r for r in outbox.journal() if r.state == "processing"]
    assert [r.attempt for r in processing] == [1]  # Vidu retries success and failed only


def test_a_retry_stops_once_the_receiver_takes_it_and_errors_are_journalled() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    task.pin("completed", 0)
    outbox.observe(0, render)
    for out in outbox.due(0):
        outbox.settle(out.delivery, 0, error="connection refused", latency_ms=0.5)
    sent_states(outbox, RETRY_BACKOFF_SECONDS[0])
    assert outbox.next_due() is None
    records = [(r.state, r.attempt, r.outcome, r.error) for r in outbox.journal()]
    assert records[-2:] == [("success", 1, "failed", "connection refused"), ("success", 2, "delivered", None)]


def test_drop_sends_nothing_and_says_so() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    outbox.add_rule(CallbackRule("drop", "success"))
    task.pin("completed", 0)
    outbox.observe(0, render)
    assert sent_states(outbox, 0) == ["processing"]
    first = outbox.journal()[0]
    assert (first.state, first.outcome, first.fault) == ("success", "dropped", "drop")


def test_duplicate_sends_the_state_twice_each_freshly_signed() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    outbox.add_rule(CallbackRule("duplicate", "success", task_id="t1"))
    task.pin("completed", 0)
    outbox.observe(0, render)
    outs = outbox.due(0)
    assert [json.loads(o.body)["state"] for o in outs] == ["processing", "success", "success"]
    assert outs[1].headers["x-request-nonce"] != outs[2].headers["x-request-nonce"]


def test_out_of_order_delivers_processing_after_success() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    outbox.add_rule(CallbackRule("out_of_order"))
    task.pin("in_progress", 0)
    outbox.observe(0, render)
    assert outbox.due(0) == [] and outbox.pending == 1  # held back
    task.pin("completed", 1)
    outbox.observe(1, render)
    assert sent_states(outbox, 1) == ["success", "processing"]


def test_delay_holds_a_delivery_on_the_mock_clock() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    outbox.add_rule(CallbackRule("delay", "success", delay_ms=30_000))
    task.pin("completed", 0)
    outbox.observe(0, render)
    assert sent_states(outbox, 29.9) == ["processing"]
    assert sent_states(outbox, 30) == ["success"]


def test_bad_signature_fails_verification_and_extra_field_adds_one_unknown_key() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    outbox.add_rule(CallbackRule("bad_signature", "processing"))
    outbox.add_rule(CallbackRule("extra_field", "success"))
    task.pin("completed", 0)
    outbox.observe(0, render)
    processing, success = outbox.due(0)
    assert not verify(TOKEN, URL, processing.headers)
    assert verify(TOKEN, URL, success.headers)
    assert json.loads(success.body) == {"id": "t1", "state": "success", EXTRA_FIELD[0]: EXTRA_FIELD[1]}


def test_rules_for_a_task_come_before_global_ones_and_are_used_up() -> None:
    outbox, one, two = CallbackOutbox(), new_task("t1"), new_task("t2")
    outbox.watch(one, URL, TOKEN)
    outbox.watch(two, URL, TOKEN)
    outbox.add_rule(CallbackRule("drop", "success"))
    outbox.add_rule(CallbackRule("duplicate", "success", task_id="t2"))
    for task in (one, two):
        task.pin("completed", 0)
    outbox.observe(0, render)
    faults = {(r.task_id, r.fault) for r in outbox.journal()}
    assert ("t1", "drop") in faults
    states = [(o.delivery.task_id, o.delivery.fault) for o in outbox.due(0)]
    assert states.count(("t2", "duplicate")) == 2
    assert outbox.rules.pending() == []


def test_a_blocked_delivery_is_journalled_with_its_reason_and_never_retried() -> None:
    outbox, task = CallbackOutbox(), new_task()
    url = "http://203.0.113.9/cb"
    outbox.watch(task, url, TOKEN)
    task.pin("completed", 0)
    outbox.observe(0, render)
    for out in outbox.due(0):
        reason = refusal(out.url)
        assert reason is not None
        outbox.block(out.delivery, 0, reason)
    assert outbox.next_due() is None
    record = outbox.journal()[-1]
    assert (record.outcome, record.url) == ("blocked", url)
    assert record.error is not None and "--callback-allow 203.0.113.9" in record.error


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("http://127.0.0.1:8080/cb", (), True),
        ("http://[::1]:8080/cb", (), True),
        ("http://localhost/cb", (), True),
        ("http://127.9.9.9/cb", (), True),
        ("https://hooks.example.com/cb", (), False),
        ("https://hooks.example.com/cb", ("hooks.example.com",), True),
        ("https://HOOKS.example.com./cb", ("hooks.example.com",), True),
        ("http://10.0.0.1/cb", (), False),
        ("ftp://127.0.0.1/cb", (), False),
        ("http:///cb", (), False),
        ("file:///etc/passwd", (), False),
    ],
)
def test_only_loopback_and_named_hosts_are_called(url: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert (refusal(url, allowed) is None) is ok


def test_reset_forgets_everything_and_the_journal_is_bounded() -> None:
    outbox = CallbackOutbox(max_journal=3)
    for n in range(3):
        task = new_task(f"t{n}")
        outbox.watch(task, URL, TOKEN)
        task.pin("completed", 0)
    outbox.observe(0, render)
    sent_states(outbox, 0)
    assert len(outbox.journal()) == 3
    outbox.add_rule(CallbackRule("drop"))
    outbox.reset()
    assert outbox.journal() == [] and outbox.pending == 0 and outbox.rules.pending() == []
    assert not outbox.watching("t0")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fault": "lose"},
        {"fault": "drop", "state": "queued"},
        {"fault": "drop", "times": 0},
        {"fault": "drop", "delay_ms": 5},
        {"fault": "out_of_order", "state": "success"},
        {"fault": "delay", "delay_ms": -1},
    ],
)
def test_a_bad_rule_is_refused_with_its_reason(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must be|goes with|is processing"):
        CallbackRule(**kwargs)


def test_a_delivery_taken_is_in_flight_until_settled_or_blocked() -> None:
    outbox, task = CallbackOutbox(), new_task()
    outbox.watch(task, URL, TOKEN)
    task.pin("completed", 0)
    outbox.observe(0, render)
    processing, success = outbox.due(0)
    assert not outbox.wait_settled(0)
    outbox.settle(processing.delivery, 0, status=200, latency_ms=1)
    assert not outbox.wait_settled(0)
    outbox.block(success.delivery, 0, "not allowed")
    assert outbox.wait_settled(0)
