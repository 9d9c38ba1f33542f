"""`CallbackControl`: the part of `MockControl` that reads and steers task callbacks (docs/callbacks.md)."""

from __future__ import annotations

from typing import Any

from mockserver.contract.callbacks.faults import CallbackFault, CallbackRule, CallbackState
from mockserver.contract.callbacks.outbox import CallbackOutbox, DeliveryRecord
from mockserver.contract.routes.engine import ContractEngine

__all__ = ["CallbackControl"]


class CallbackControl:
    """The delivery journal, callback faults (global, per task, per planned job) and their admin JSON."""

    engine: ContractEngine

    @property
    def _outbox(self) -> CallbackOutbox:
        return self.engine.callbacks

    def callback_deliveries(
        self, task_id: str | None = None, state: CallbackState | None = None
    ) -> list[DeliveryRecord]:
        """Every callback attempt journalled (blocked and dropped ones too), oldest first, for `task_id`/`state`."""
        return [r for r in self._outbox.journal() if task_id in (None, r.task_id) and state in (None, r.state)]

    def queue_callback_fault(
        self,
        fault: CallbackFault,
        *,
        state: CallbackState | None = None,
        times: int = 1,
        task_id: str | None = None,
        job: int | None = None,
        delay_ms: int = 0,
    ) -> CallbackRule:
        """Do `fault` to the next `times` deliveries of `state` (any when None): of `task_id`, of the
        `job`-th job created from now on (1: the next), or of any task."""
        rule = CallbackRule(fault, state, times, None if job is not None else task_id, delay_ms)
        if job is not None:
            if task_id is not None:
                raise ValueError("give a task_id or a job number, not both")
            return self._outbox.plan(rule, job)
        return self._outbox.add_rule(rule)

    def plan_callback(
        self, fault: CallbackFault, *, state: CallbackState | None = None, job: int = 1, delay_ms: int = 0
    ) -> CallbackRule:
        """Plan `fault` for the callbacks of the `job`-th job created from now on (1: the next)."""
        return self.queue_callback_fault(fault, state=state, job=job, delay_ms=delay_ms)

    @property
    def pending_callback_faults(self) -> list[CallbackRule]:
        """Callback fault rules not yet used up (global and per task)."""
        return self._outbox.rules.pending()

    def callbacks_json(self) -> dict[str, Any]:
        """What `GET /__mock/callbacks` answers: deliveries, pending rules, planned faults, deliveries waiting."""
        return {
            "deliveries": [r.to_json() for r in self._outbox.journal()],
            "faults": [r.to_json() for r in self._outbox.rules.pending()],
            "planned": [
                {"job": job, **rule.to_json()} for job, rules in self._outbox.planned().items() for rule in rules
            ],
            "waiting": self._outbox.pending,
        }
