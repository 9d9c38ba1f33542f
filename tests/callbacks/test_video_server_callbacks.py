"""Callbacks from the `video_server` fixture (the real server, its own sender thread) to a loopback receiver."""

from __future__ import annotations

import pytest
import requests

from pytest_plugin.callback_receiver import CallbackReceiver
from pytest_plugin.video_server import VideoServer

pytestmark = [pytest.mark.slow, pytest.mark.video_api(dialect="vidu")]


def create(server: VideoServer, receiver: CallbackReceiver, prefer: str | None = None) -> str:
    body = {"model": "viduq3-pro", "prompt": "a fox", "callback_url": receiver.url}
    headers = {"Authorization": f"Token {receiver.token}", **({"Prefer": prefer} if prefer else {})}
    answer = requests.post(f"{server.url}/ent/v2/text2video", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["task_id"])


def test_the_receiver_listens_on_loopback_and_gets_each_state_signed(
    video_server: VideoServer, video_callbacks: CallbackReceiver
) -> None:
    assert video_callbacks.url.startswith("http://127.0.0.1:")
    task_id = create(video_server, video_callbacks)
    video_server.complete(task_id)
    success = video_callbacks.wait_for("success", task_id=task_id)
    assert success.signed and success.json["creations"]
    video_callbacks.assert_delivered("processing")
    assert [(r.state, r.outcome, r.status) for r in video_server.callback_deliveries(task_id)] == [
        ("processing", "delivered", 200),
        ("success", "delivered", 200),
    ]


def test_retries_wait_on_the_servers_manual_clock(video_server: VideoServer, video_callbacks: CallbackReceiver) -> None:
    task_id = create(video_server, video_callbacks)
    video_callbacks.fail_next(3)  # processing once, then success twice
    started = video_server.now()
    video_server.complete(task_id)
    video_callbacks.wait_for("success")
    assert [d.answered for d in video_callbacks.deliveries if d.state == "success"] == [500, 500, 200]
    assert video_server.now() - started == 3.0  # 1 s and 2 s of back-off, on the mock's clock


def test_a_fault_asked_for_by_prefer_reaches_the_wire(
    video_server: VideoServer, video_callbacks: CallbackReceiver
) -> None:
    task_id = create(video_server, video_callbacks, prefer="callback=bad_signature; callback-state=success")
    video_server.complete(task_id)
    bad = video_callbacks.wait_for("success")
    assert not bad.signed
    video_callbacks.assert_delivered("success", signed=False)
