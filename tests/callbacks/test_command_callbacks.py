"""Callbacks from the `mockserver --dialect vidu` command, over HTTP to a receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jsonschema import Draft202012Validator

from mockserver.contract.data.schemas import load_json
from pytest_plugin.callback_receiver import CallbackReceiver, ReceivedCallback

# A subprocess per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).with_name("mockserver")
TOKEN = "vda-command-callback-token"
AUTH = {"Authorization": f"Token {TOKEN}"}


@contextmanager
def mockserver(*args: str) -> Iterator[str]:
    """`mockserver --dialect vidu` on a free port (its log drained in a thread); yields its URL."""
    process = subprocess.Popen(
        [str(COMMAND), "--port", "0", "--dialect", "vidu", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("VIDU_MOCK_")},
    )
    assert process.stdout is not None
    drain = threading.Thread(target=process.stdout.read, daemon=True)
    try:
        first = process.stdout.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+)", first)
        assert match, first + process.stdout.read()
        drain.start()
        yield match.group(1)
    finally:
        process.kill()
        process.wait(timeout=10)
        if drain.is_alive():
            drain.join(10)
        process.stdout.close()


def create(url: str, callback_url: str) -> str:
    body = {"model": "viduq3-pro", "prompt": "a fox in the snow", "callback_url": callback_url}
    answer = requests.post(f"{url}/ent/v2/text2video", json=body, headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["task_id"]
    return task_id


def complete(url: str, task_id: str) -> None:
    answer = requests.post(f"{url}/__mock/tasks/{task_id}", json={"action": "complete"}, timeout=10)
    assert answer.status_code == 200, answer.text


def deliveries(url: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = requests.get(f"{url}/__mock/callbacks", timeout=10).json()["deliveries"]
    return entries


def eventually(check: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    """Wait (real time, bounded) for the command's delivery thread; never a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def documented_signature(token: str, callback_url: str, headers: dict[str, str]) -> str:
    """The signature by the formula in docs/callbacks.md, written out here apart from the mock's code."""
    parts = urlsplit(callback_url)
    names = headers["X-HMAC-SIGNED-HEADERS"].split(";")
    text = "\n".join(["POST", parts.path or "/", parts.query, "vidu", headers["Date"]]) + "\n"
    text += "".join(f"{name}:{headers[name]}\n" for name in names)
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_a_loopback_receiver_gets_success_with_the_poll_shape_signed_and_never_the_token() -> None:
    with CallbackReceiver(TOKEN, path="/hooks/vidu").serve() as receiver, mockserver() as url:
        callback_url = receiver.http_url + "?tenant=a&n=1"
        task_id = create(url, callback_url)
        complete(url, task_id)
        eventually(lambda: "success" in receiver.states(), "the success callback")
        success = next(d for d in receiver.deliveries if d.state == "success")
        polled = requests.get(f"{url}/ent/v2/tasks/{task_id}/creations", headers=AUTH, timeout=10).json()
        assert success.json == polled  # the poll body, as a poll shows it now
        Draft202012Validator(load_json("dialects/vidu/task.schema.json")).validate(success.json)
        headers = {k.title() if k.lower() == "date" else k: v for k, v in success.headers.items()}
        signed = {h.lower(): headers[h] for h in headers}
        assert signed["x-hmac-signed-headers"] == "Date;x-request-nonce"
        assert signed["x-hmac-algorithm"] == "hmac-sha256" and signed["x-hmac-access-key"] == "vidu"
        by_name = {"X-HMAC-SIGNED-HEADERS": signed["x-hmac-signed-headers"], "Date": signed["date"]}
        by_name["x-request-nonce"] = signed["x-request-nonce"]
        assert signed["x-hmac-signature"] == documented_signature(TOKEN, callback_url, by_name)
        assert success.signed
        for delivery in receiver.deliveries:
            assert TOKEN not in json.dumps(delivery.headers) and TOKEN.encode() not in delivery.body
        assert receiver.states() == ["processing", "success"]
        nonces = {d.headers.get("x-request-nonce") or d.headers.get("X-Request-Nonce") for d in receiver.deliveries}
        assert len(nonces) == 2  # a fresh nonce each time
        # The mock journals an attempt once it has read the receiver's answer, just after the receiver has it.
        eventually(lambda: len(deliveries(url)) == 2, "both attempts journalled")
        journal = deliveries(url)
        assert [(e["state"], e["attempt"], e["outcome"], e["status"]) for e in journal] == [
            ("processing", 1, "delivered", 200),
            ("success", 1, "delivered", 200),
        ]
        assert all(e["latency_ms"] is not None and e["latency_ms"] >= 0 for e in journal)
        assert TOKEN not in json.dumps(journal)


def test_a_receiver_answering_500_twice_gets_success_at_least_three_times() -> None:
    with CallbackReceiver(TOKEN).serve() as receiver, mockserver() as url:
        task_id = create(url, receiver.http_url)
        eventually(lambda: requests.get(f"{url}/__mock/callbacks", timeout=10).json() is not None, "the mock")
        receiver.fail_next(3)  # processing (not retried), then success twice
        complete(url, task_id)

        def successes() -> list[ReceivedCallback]:
            return [d for d in receiver.deliveries if d.state == "success"]

        for seen in (1, 2):
            eventually(lambda seen=seen: len(successes()) >= seen, f"success attempt {seen}")  # type: ignore[misc]
            # The back-off runs on the mock's clock: move it on instead of waiting it out.
            requests.post(f"{url}/__mock/clock", json={"advance": 10}, timeout=10)
        eventually(lambda: len(successes()) >= 3, "the third success attempt")
        assert [d.answered for d in successes()] == [500, 500, 200]
        eventually(
            lambda: len([e for e in deliveries(url) if e["state"] == "success"]) == 3, "three attempts journalled"
        )
        attempts = [(e["attempt"], e["status"]) for e in deliveries(url) if e["state"] == "success"]
        assert attempts == [(1, 500), (2, 500), (3, 200)]


def test_a_callback_url_off_this_machine_is_not_called_and_the_journal_says_why() -> None:
    with mockserver() as url:
        off_machine = "http://203.0.113.7:8080/vidu/callback"  # TEST-NET-3: never routed
        task_id = create(url, off_machine)
        complete(url, task_id)
        eventually(lambda: len(deliveries(url)) == 2, "both deliveries journalled")
        for entry in deliveries(url):
            assert (entry["url"], entry["outcome"], entry["status"], entry["latency_ms"]) == (
                off_machine,
                "blocked",
                None,
                None,
            )
            assert "203.0.113.7 is not a loopback address" in entry["error"]
            assert "--callback-allow 203.0.113.7" in entry["error"]
