"""A client of Vidu's API that waits for callbacks instead of polling, with knobs for planting bugs.

It creates a task with `callback_url`, takes the deliveries its receiver gets, and records
the task's final state and how often it acted on `success` (a download). Each knob turned
off is one bug a callback scenario must find.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from pytest_plugin.callback_receiver import CallbackReceiver, ReceivedCallback
from pytest_plugin.video_api import VideoAPI

__all__ = ["BASE", "KNOWN_FIELDS", "CallbackClient"]

BASE = "https://api.vidu.com"
FINAL = frozenset({"success", "failed"})
#: The poll body's fields as Vidu's get-generation page lists them.
KNOWN_FIELDS = frozenset({"id", "state", "err_code", "credits", "payload", "bgm", "off_peak", "creations"})


@dataclass
class CallbackClient:
    """Create a task, then act on its callbacks: the state it ends in, and its downloads."""

    api: VideoAPI
    receiver: CallbackReceiver
    check_signature: bool = True
    ignore_repeats: bool = True
    final_is_final: bool = True
    tolerate_unknown_fields: bool = True
    poll_when_silent: bool = True
    patience_seconds: float = 60.0
    state: str | None = None
    downloads: int = 0
    trusted_unsigned: int = 0
    task_id: str | None = None
    handled: list[ReceivedCallback] = field(default_factory=list)

    def create(self, http: httpx.Client) -> str:
        """Create a text-to-video task whose callbacks go to the receiver."""
        body = {"model": "viduq3-pro", "prompt": "a fox", "callback_url": self.receiver.url}
        answer = http.post("/ent/v2/text2video", json=body)
        answer.raise_for_status()
        self.task_id = str(answer.json()["task_id"])
        return self.task_id

    def handle(self, delivery: ReceivedCallback) -> None:
        """Act on one delivery as the knobs say."""
        self.handled.append(delivery)
        if not delivery.signed:
            if self.check_signature:
                return  # forged or garbled: not from Vidu
            self.trusted_unsigned += 1
        body = delivery.json
        if not self.tolerate_unknown_fields and set(body) - KNOWN_FIELDS:
            raise ValueError(f"unexpected fields {sorted(set(body) - KNOWN_FIELDS)}")
        state = body["state"]
        if self.final_is_final and self.state in FINAL:
            return  # a late delivery cannot undo the end
        if self.ignore_repeats and state == self.state:
            return
        self.state = state
        if state == "success":
            self.downloads += 1

    def settle(self, http: httpx.Client) -> str | None:
        """Take every delivery until nothing more arrives within the patience (mock clock); poll if silent."""
        driver = self.receiver.driver
        assert driver is not None, "the receiver must be fed by the fake in this process"
        until = driver.now() + self.patience_seconds
        while True:
            received = self.receiver.deliveries
            for delivery in received[len(self.handled) :]:
                self.handle(delivery)
            if not driver.advance(until):
                break
        if self.state not in FINAL and self.poll_when_silent and self.task_id is not None:
            polled = http.get(f"/ent/v2/tasks/{self.task_id}/creations").json()
            self.handle_polled(polled["state"])
        return self.state

    def handle_polled(self, state: str) -> None:
        """What a poll showed, when no callback told the end."""
        if state != self.state:
            self.state = state
            if state == "success":
                self.downloads += 1
