"""`CallbackReceiver`: a test's own endpoint for Vidu's task callbacks (the `video_callbacks` fixture).

It records every delivery, checks its signature with the token that created the task,
can answer 5xx for the next N deliveries, waits for a state on the mock's clock, and
asserts in the house style ("exactly one success, signed"). Its URL is faked in process
(`video_api` delivers into it without a socket) or served on loopback (`serve()`: for
`video_server`, the `mockserver` command, anything that calls over HTTP).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from mockserver.contract.callbacks.faults import CALLBACK_STATES
from mockserver.contract.callbacks.signing import verify

__all__ = ["DEFAULT_CALLBACK_TOKEN", "FAKE_CALLBACK_HOST", "CallbackDriver", "CallbackReceiver", "ReceivedCallback"]

#: The host of a receiver's faked URL: never resolved, only `video_api` delivers to it.
FAKE_CALLBACK_HOST = "callbacks.vidu-mock.test"
#: The token a receiver checks signatures with unless told another (send it as `Authorization: Token ...`).
DEFAULT_CALLBACK_TOKEN = "vda-callback-test-token"  # noqa: S105  # a test token, documented
#: The most of one delivery's body the loopback server reads.
MAX_BODY = 1024 * 1024


class CallbackDriver(Protocol):
    """The fake that delivers to a receiver from this process (`pytest_plugin.callback_delivery`)."""

    #: How long (real time) a delivery may still be on its way once nothing more is due (0 in process).
    in_flight_seconds: float

    def now(self) -> float:
        """The fake's clock."""
        ...

    def deliver(self) -> int:
        """Deliver what is due now."""
        ...

    def advance(self, until: float) -> bool:
        """Move the fake's clock to the next due delivery, if no later than `until`, and deliver it."""
        ...


@dataclass(frozen=True, slots=True)
class ReceivedCallback:
    """One delivery as the receiver saw it, and what it answered."""

    number: int
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    signed: bool
    answered: int

    @property
    def taken(self) -> bool:
        """Whether the receiver answered it with a 2xx (a 5xx asks the sender to try again)."""
        return 200 <= self.answered < 300

    @property
    def json(self) -> Any:
        """The body decoded as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def state(self) -> str | None:
        """The body's `state` (`processing`, `success`, `failed`)."""
        data = self.json
        return data.get("state") if isinstance(data, dict) else None

    @property
    def task_id(self) -> str | None:
        """The body's task id (`id`, or `task_id`)."""
        data = self.json
        if not isinstance(data, dict):
            return None
        return data.get("id") or data.get("task_id")

    def describe(self) -> str:
        """One line: `#2 success of task_… signed -> 200`."""
        return f"#{self.number} {self.state} of {self.task_id} {'signed' if self.signed else 'BADLY SIGNED'} -> {self.answered}"


class CallbackReceiver:
    """Records callbacks, verifies them with `token`, fails the next N on request; in process or on loopback."""

    def __init__(self, token: str = DEFAULT_CALLBACK_TOKEN, *, path: str = "/vidu/callback") -> None:
        self.token = token
        self.path = path if path.startswith("/") else "/" + path
        self.fake_url = f"https://{FAKE_CALLBACK_HOST}/{uuid.uuid4().hex[:12]}{self.path}"
        self._received: list[ReceivedCallback] = []
        self._failures: list[int] = []
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # The fake that delivers here, when it runs in this process (`video_api`, `video_server`).
        self.driver: CallbackDriver | None = None

    # -- where to send -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The URL to give as `callback_url`: the loopback one once `serve()`d, else the faked one."""
        return self.http_url if self._server is not None else self.fake_url

    @property
    def http_url(self) -> str:
        """The loopback URL (`serve()` first)."""
        if self._server is None:
            raise RuntimeError("this receiver is not serving; call serve() for a loopback URL")
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def serve(self) -> CallbackReceiver:
        """Listen on 127.0.0.1 (a free port) in a daemon thread; returns self."""
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, name="vidu-mock:receiver", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the loopback server (if serving)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> CallbackReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def accepts(self, url: str) -> bool:
        """Whether `url` is this receiver's faked URL (an in-process fake then delivers here)."""
        return url.split("?", 1)[0] == self.fake_url

    # -- receiving ------------------------------------------------------------------------
    def fail_next(self, times: int = 1, status: int = 500) -> None:
        """Answer the next `times` deliveries with `status` (a 5xx by default: the sender should retry)."""
        if not 100 <= status <= 599 or times < 1:
            raise ValueError("fail_next takes times >= 1 and an HTTP status")
        with self._lock:
            self._failures.extend([status] * times)

    def receive(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """Record one delivery to `url` and return the status answered (200, or a queued failure)."""
        with self._lock:
            status = self._failures.pop(0) if self._failures else 200
            signed = verify(self.token, url, headers)
            self._received.append(ReceivedCallback(len(self._received) + 1, url, dict(headers), body, signed, status))
            self._lock.notify_all()
        return status

    @property
    def deliveries(self) -> list[ReceivedCallback]:
        """Every delivery received so far (what is due is delivered first), oldest first."""
        self._pump()
        with self._lock:
            return list(self._received)

    def states(self, task_id: str | None = None) -> list[str | None]:
        """The states received, in order (of `task_id` only when given)."""
        return [d.state for d in self.deliveries if task_id in (None, d.task_id)]

    def clear(self) -> None:
        """Forget what was received and the failures queued."""
        with self._lock:
            self._received.clear()
            self._failures.clear()

    def _pump(self) -> None:
        if self.driver is not None:
            self.driver.deliver()

    # -- waiting and asserting --------------------------------------------------------------
    def wait_for(self, state: str, *, task_id: str | None = None, timeout: float = 30.0) -> ReceivedCallback:
        """The first delivery of `state` (of `task_id`) this receiver took (answered 2xx), waiting up to
        `timeout` seconds of the mock's clock.

        With a fake that delivers here (`video_api`, `video_server`), waiting moves the fake's
        clock from one due delivery to the next (no sleeping); otherwise it waits real time.
        """
        __tracebackhide__ = True
        if state not in CALLBACK_STATES:
            raise ValueError(f"state must be one of {', '.join(CALLBACK_STATES)}")
        driver = self.driver
        until = None if driver is None else driver.now() + timeout
        # Real time only for what no clock of ours moves: a delivery already on its way over HTTP.
        patience = timeout if driver is None else min(timeout, driver.in_flight_seconds)
        deadline = time.monotonic() + patience
        while True:
            for delivery in self.deliveries:
                if delivery.state == state and task_id in (None, delivery.task_id) and delivery.taken:
                    return delivery
            if driver is not None and until is not None and driver.advance(until):
                deadline = time.monotonic() + patience
                continue  # the mock's clock moved to the next due delivery: look again
            with self._lock:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(min(remaining, 0.05))
        raise AssertionError(
            f"no {state} callback{'' if task_id is None else f' for {task_id}'} taken within {timeout:g} s. {self._story()}"
        )

    def assert_delivered(
        self, state: str, *, times: int | None = 1, signed: bool | None = True, task_id: str | None = None
    ) -> list[ReceivedCallback]:
        """Assert exactly `times` deliveries of `state` (at least one when None), each `signed` (or not; None: either)."""
        __tracebackhide__ = True
        hits = [d for d in self.deliveries if d.state == state and task_id in (None, d.task_id)]
        counted = (times is None and bool(hits)) or len(hits) == times
        signatures = signed is None or all(d.signed is signed for d in hits)
        if counted and signatures:
            return hits
        how_many = "at least one" if times is None else ("exactly one" if times == 1 else f"exactly {times}")
        sign_words = "" if signed is None else (", signed" if signed else ", badly signed")
        raise AssertionError(f"expected {how_many} {state}{sign_words}; got {len(hits)}. {self._story()}")

    def _story(self) -> str:
        received = self.deliveries
        if not received:
            return "Received: no callbacks at all."
        return "Received:\n" + "\n".join(f"  {d.describe()}" for d in received)


def _handler(receiver: CallbackReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            if size > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(size)
            url = "http://127.0.0.1" + self.path  # only the path and query are signed
            status = receiver.receive(url, {k: v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the receiver's own record is the log."""

    return Handler
