"""`CallbackSender`: delivers Vidu-dialect callbacks over HTTP from a background thread.

It never holds up an answer: the engine only queues deliveries (`CallbackOutbox`); this
thread takes what is due on the mock's clock, refuses URLs off this machine unless the
user allowed their host (journalled as blocked, never attempted), and POSTs the rest with
`http.client`, which follows no redirects, under a short timeout, reading back at most
`MAX_READ_BACK` bytes. The task's token signs each delivery and is never sent.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from time import perf_counter
from urllib.parse import urlsplit

from mockserver.contract.callbacks.outbox import Outbound
from mockserver.contract.callbacks.targets import refusal
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.state.journal import MAX_STORED_BODY

__all__ = ["CALLBACK_TIMEOUT_SECONDS", "MAX_READ_BACK", "CallbackSender", "post"]

#: How long one delivery may take (connect, send, answer) before it counts as failed.
CALLBACK_TIMEOUT_SECONDS = 3.0
#: The most of a receiver's answer read back (the status is all that matters): the journal's body cap.
MAX_READ_BACK = MAX_STORED_BODY
#: How often the thread looks for state changes while tasks are watched (the mock's own moves
#: and the admin API's are noticed within this long).
TICK_SECONDS = 0.02


def post(outbound: Outbound, timeout: float = CALLBACK_TIMEOUT_SECONDS) -> tuple[int | None, str | None]:
    """POST `outbound`: the receiver's status, or None and why it failed. Never follows a redirect."""
    parts = urlsplit(outbound.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    try:
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    except ValueError as error:  # a port that is not a number
        return None, f"bad callback URL: {error}"
    try:
        connection.request("POST", target, body=outbound.body, headers=outbound.headers)
        answer = connection.getresponse()
        answer.read(MAX_READ_BACK)
        return answer.status, None
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:300]
    finally:
        connection.close()


class CallbackSender:
    """The background thread that delivers an engine's due callbacks over HTTP."""

    def __init__(self, engine: ContractEngine) -> None:
        self.engine = engine
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vidu-mock:callbacks", daemon=True)

    def start(self) -> CallbackSender:
        """Start delivering; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the delivery in flight (if any); joins the thread."""
        self._stopping.set()
        outbox = self.engine.callbacks
        with outbox.changed:
            outbox.changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(CALLBACK_TIMEOUT_SECONDS + 1)

    def deliver_due(self) -> int:
        """Deliver (or block) everything due now; how many were taken."""
        engine = self.engine
        taken = engine.callbacks_due()
        for outbound in taken:
            if self._stopping.is_set():
                break
            reason = refusal(outbound.url, engine.settings.callback_allow)
            if reason is not None:
                engine.callbacks.block(outbound.delivery, engine.now(), reason)
                continue
            started = perf_counter()
            status, error = post(outbound)
            latency = (perf_counter() - started) * 1000
            engine.callbacks.settle(outbound.delivery, engine.now(), status=status, error=error, latency_ms=latency)
        return len(taken)

    def _run(self) -> None:
        outbox = self.engine.callbacks
        while not self._stopping.is_set():
            try:
                self.deliver_due()
            except Exception as error:  # a bug here must not end deliveries for good
                print(f"vidu-mock: callback delivery failed: {type(error).__name__}: {error}")
            with outbox.changed:
                if not self._stopping.is_set():
                    outbox.changed.wait(TICK_SECONDS if outbox.watched or outbox.pending else 0.5)
