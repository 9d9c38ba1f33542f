"""How the fixtures' fakes deliver callbacks from inside the test process, on the mock's clock.

`video_api` delivers a faked receiver URL straight into its `CallbackReceiver` (no socket)
and anything else over HTTP under the same rules as the command (loopback or allowed hosts
only); `video_server` lets its background sender deliver, and the test's thread may take
what is due too. `CallbackDriver.advance` moves the fake's clock to the next due delivery
(a retry's back-off, a delayed delivery), so waiting never sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter

from mockserver.contract.admin.control import MockControl
from mockserver.contract.callbacks.targets import refusal
from mockserver.contract.routes.engine import ContractEngine
from pytest_plugin.callback_receiver import CallbackReceiver

__all__ = ["CallbackDriver", "deliver_in_process"]

#: Under the time lifecycle, how far `advance` moves a clock with nothing due (a task may change state meanwhile).
TIME_STEP_SECONDS = 1.0


def deliver_in_process(engine: ContractEngine, receivers: Sequence[CallbackReceiver]) -> int:
    """Deliver everything due: into a receiver whose faked URL it is, else over HTTP if allowed; how many."""
    taken = engine.callbacks_due()
    for outbound in taken:
        receiver = next((r for r in receivers if r.accepts(outbound.url)), None)
        started = perf_counter()
        status: int | None
        error: str | None
        if receiver is not None:
            status, error = receiver.receive(outbound.url, outbound.headers, outbound.body), None
        else:
            reason = refusal(outbound.url, engine.settings.callback_allow)
            if reason is not None:
                engine.callbacks.block(outbound.delivery, engine.now(), reason)
                continue
            from mockserver.live.callback_sender import post  # sockets: only for a URL nobody faked

            status, error = post(outbound)
        latency = (perf_counter() - started) * 1000
        engine.callbacks.settle(outbound.delivery, engine.now(), status=status, error=error, latency_ms=latency)
    return len(taken)


class CallbackDriver:
    """Takes due deliveries of one fake (`deliver`) and moves its clock to the next one (`advance`)."""

    def __init__(self, control: MockControl, deliver: Callable[[], int], *, in_flight_seconds: float = 0.0) -> None:
        self.control = control
        self._deliver = deliver
        # A live server's own sender thread may hold a delivery in flight (real time); in process nothing does.
        self.in_flight_seconds = in_flight_seconds

    def now(self) -> float:
        """The fake's clock."""
        return self.control.now()

    def deliver(self) -> int:
        """Deliver what is due now, and let any delivery in flight (a live server's thread) be journalled."""
        taken = self._deliver()
        if self.in_flight_seconds:
            self.control.engine.callbacks.wait_settled(self.in_flight_seconds)
        return taken

    def advance(self, until: float) -> bool:
        """Move the fake's clock to the next due delivery if that is no later than `until`, and deliver.

        False when nothing more can arrive by then (nothing waits, or it is due later).
        """
        self.deliver()
        engine, now = self.control.engine, self.now()
        due = engine.callbacks.next_due()
        if due is None:
            if engine.settings.lifecycle == "step" or not engine.callbacks.watched:
                return False  # only a request or the admin API moves a task on now
            due = now + TIME_STEP_SECONDS
        if now >= until or due > until:
            return False
        if due > now:
            self.control.advance_clock(due - now)
        self.deliver()
        return True
