"""What a callback delivery can be made to do wrong, and the queue of rules that choose it.

A rule names a fault, optionally the state whose delivery it hits (`processing`, `success`,
`failed`) and the task (none: the next matching delivery of any task), and how many
deliveries it takes. Rules come from the admin API, `Prefer: callback=`, job plans and
scenarios; each delivery planned uses up the first rule that matches it (a task's own
rules before global ones).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "CALLBACK_FAULTS",
    "CALLBACK_STATES",
    "DEFAULT_DELAY_MS",
    "MAX_CALLBACK_DELAY_MS",
    "CallbackFault",
    "CallbackRule",
    "CallbackRules",
    "CallbackState",
]

CallbackFault = Literal["drop", "duplicate", "out_of_order", "delay", "bad_signature", "extra_field"]
CALLBACK_FAULTS: tuple[CallbackFault, ...] = get_args(CallbackFault)
CallbackState = Literal["processing", "success", "failed"]
CALLBACK_STATES: tuple[CallbackState, ...] = get_args(CallbackState)
#: A `delay` without a length holds the delivery this long on the mock's clock.
DEFAULT_DELAY_MS = 5_000
MAX_CALLBACK_DELAY_MS = 3_600_000
MAX_RULES = 1_000


@dataclass(slots=True)
class CallbackRule:
    """Do `fault` to the next `times` deliveries of `state` (any when None) of `task_id` (any when None).

    `out_of_order` holds a task's `processing` delivery back until after its final one, so it
    always concerns `processing`.
    """

    fault: CallbackFault
    state: CallbackState | None = None
    times: int = 1
    task_id: str | None = None
    delay_ms: int = 0

    def __post_init__(self) -> None:
        if self.fault not in CALLBACK_FAULTS:
            raise ValueError(f"callback fault must be one of {', '.join(CALLBACK_FAULTS)}, got {self.fault!r}")
        if self.state is not None and self.state not in CALLBACK_STATES:
            raise ValueError(f"state must be one of {', '.join(CALLBACK_STATES)}, got {self.state!r}")
        if not isinstance(self.times, int) or isinstance(self.times, bool) or not 1 <= self.times <= MAX_RULES:
            raise ValueError(f"times must be an integer from 1 to {MAX_RULES}")
        delay = self.delay_ms
        if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= MAX_CALLBACK_DELAY_MS:
            raise ValueError(f"delay_ms must be an integer from 0 to {MAX_CALLBACK_DELAY_MS}")
        if self.fault == "out_of_order":
            if self.state not in (None, "processing"):
                raise ValueError("out_of_order delivers a late processing: its state is processing")
            self.state = "processing"
        if self.fault == "delay" and not self.delay_ms:
            self.delay_ms = DEFAULT_DELAY_MS
        if self.fault != "delay" and self.delay_ms:
            raise ValueError("delay_ms goes with the delay fault only")

    def matches(self, task_id: str, state: CallbackState) -> bool:
        """Whether this rule hits the delivery of `state` for `task_id`."""
        return self.task_id in (None, task_id) and self.state in (None, state)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description."""
        return {
            "fault": self.fault,
            "state": self.state,
            "times": self.times,
            "task_id": self.task_id,
            "delay_ms": self.delay_ms,
        }


class CallbackRules:
    """Queued callback rules, in the order given; a task's own rules are tried before global ones."""

    def __init__(self) -> None:
        self._rules: list[CallbackRule] = []
        self._lock = threading.Lock()

    def add(self, rule: CallbackRule) -> None:
        """Queue `rule` after those already queued (`ValueError` when full)."""
        with self._lock:
            if len(self._rules) >= MAX_RULES:
                raise ValueError(f"at most {MAX_RULES} callback rules may be queued")
            self._rules.append(rule)

    def take(self, task_id: str, state: CallbackState) -> CallbackRule | None:
        """Use up one delivery of the first rule hitting `state` of `task_id`; a copy with `times=1`."""
        if not self._rules:
            return None
        with self._lock:
            candidates = [r for r in self._rules if r.task_id == task_id] + [
                r for r in self._rules if r.task_id is None
            ]
            for rule in candidates:
                if rule.matches(task_id, state):
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return CallbackRule(rule.fault, rule.state, 1, task_id, rule.delay_ms)
        return None

    def pending(self) -> list[CallbackRule]:
        """The rules not yet used up."""
        with self._lock:
            return list(self._rules)

    def forget_task(self, task_id: str) -> None:
        """Drop the rules bound to `task_id` (its task is gone)."""
        with self._lock:
            self._rules = [r for r in self._rules if r.task_id != task_id]

    def clear(self) -> None:
        """Drop every rule."""
        with self._lock:
            self._rules.clear()
