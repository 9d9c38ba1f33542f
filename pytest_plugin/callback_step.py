"""`CallbackStep`: one thing a job's callbacks do wrong, told as a story ("job 1: success delivered twice").

A scenario's callback steps are planned on the fake by job number (`MockControl.plan_callback`),
so "job 1" is the first job created after the scenario starts, as for job ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mockserver.contract.callbacks.faults import (
    CALLBACK_STATES,
    DEFAULT_DELAY_MS,
    CallbackFault,
    CallbackRule,
    CallbackState,
)

__all__ = ["CALLBACK_WORDS", "CallbackStep"]

# The words after the state, per fault; `delay` carries its length ("delayed 5000ms").
CALLBACK_WORDS: dict[CallbackFault, str] = {
    "drop": "dropped",
    "duplicate": "delivered twice",
    "out_of_order": "delivered after the final state",
    "delay": "delayed {delay_ms}ms",
    "bad_signature": "badly signed",
    "extra_field": "with an unknown field",
}
_STORY = re.compile(rf"^({'|'.join(CALLBACK_STATES)}) (.+)$")
_DELAYED = re.compile(r"^delayed (\d+)ms$")


@dataclass(frozen=True, slots=True)
class CallbackStep:
    """Job `job`'s delivery of `state` suffers `fault` (a `delay` holds it `delay_ms` on the mock's clock)."""

    job: int
    state: CallbackState
    fault: CallbackFault
    delay_ms: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.job, int) or isinstance(self.job, bool) or not 1 <= self.job <= 100:
            raise ValueError("job must be an integer from 1 to 100")
        if self.fault == "delay" and not self.delay_ms:
            object.__setattr__(self, "delay_ms", DEFAULT_DELAY_MS)
        self.rule()  # the core's checks (a state, a fault, out_of_order on processing), one wording

    def rule(self) -> CallbackRule:
        """The core rule this step plans (bound to its job when played)."""
        return CallbackRule(self.fault, self.state, 1, None, self.delay_ms)

    @classmethod
    def parse(cls, job: int, text: str) -> CallbackStep:
        """The step a story tells after `job N:`: `success delivered twice`, `processing delayed 2000ms`…"""
        match = _STORY.match(text.strip())
        if match:
            state, words = match.groups()
            delayed = _DELAYED.match(words)
            if delayed:
                return cls(job, state, "delay", int(delayed.group(1)))  # type: ignore[arg-type]
            for fault, said in CALLBACK_WORDS.items():
                if said == words:
                    return cls(job, state, fault)  # type: ignore[arg-type]
        told = ", ".join(w.format(delay_ms="N") for w in CALLBACK_WORDS.values())
        raise ValueError(f"not a callback step: {text[:80]!r}; say '<{'|'.join(CALLBACK_STATES)}> <{told}>'")

    def __str__(self) -> str:
        return f"job {self.job}: {self.state} {CALLBACK_WORDS[self.fault].format(delay_ms=self.delay_ms)}"

    def __repr__(self) -> str:
        return f"CallbackStep.parse({self.job}, {str(self).partition(': ')[2]!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))
