"""The `Prefer` request header (RFC 7240) as the per-request misbehaviour switch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from mockserver.contract.callbacks.faults import CALLBACK_FAULTS, CALLBACK_STATES, CallbackRule
from mockserver.contract.data.catalogue import ErrorSpec, injectable_spec
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import FAULTS, MAX_DELAY_MS, Fault, Injection

__all__ = ["FAULTS", "MAX_DELAY_MS", "Fault", "JobPreference", "Preferences", "parse_prefer"]

JobPreference = Literal["fail", "stall", "timeout"]
_JOBS: tuple[JobPreference, ...] = get_args(JobPreference)


@dataclass(frozen=True, slots=True)
class Preferences:
    """The parsed preferences: each None where the header did not ask for it."""

    error: ErrorSpec | None = None
    delay_ms: int | None = None
    fault: Fault | None = None
    job: JobPreference | None = None
    retry: bool | None = None
    #: The preferences every request honours, for `Preference-Applied` (RFC 7240 §3).
    applied: tuple[str, ...] = field(default=())
    #: What the created task's callbacks do wrong (`callback=`, `callback-state=`, `callback-delay=`):
    #: honoured, so listed (`callback_applied`), only where a create's task is called back.
    callbacks: tuple[CallbackRule, ...] = field(default=())

    @property
    def callback_applied(self) -> str | None:
        """`callback=<fault>` as `Preference-Applied` lists it once the route honoured it, else None."""
        return f"callback={self.callbacks[0].fault}" if self.callbacks else None

    @property
    def injection(self) -> Injection:
        """What the header asks to inject, as `decide()` takes it."""
        return Injection.requested(self.error, self.fault, self.delay_ms)


def _bad(message: str) -> ApiError:
    return ApiError("invalid_value", f"Prefer: {message}", "Prefer")


def parse_prefer(header: str | None) -> Preferences:
    """Parse `code=`, `delay=`, `fault=`, `job=` and `retry=` preferences.

    Unknown preferences are ignored (RFC 7240 §2); a known one with a bad value is a 400,
    so a typo in a test is reported instead of silently not injecting anything.
    """
    if not header:
        return Preferences()
    values: dict[str, str] = {}
    for item in header.split(","):
        for part in item.split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                values[name.strip().lower()] = value.strip().strip('"')
    error = delay = fault = job = retry = None
    applied: list[str] = []
    if "code" in values:
        try:
            error = injectable_spec(values["code"])
        except ValueError as exc:
            raise _bad(str(exc)) from None
        applied.append(f"code={values['code']}")
    if "delay" in values:
        text = values["delay"]
        if not text.isdigit() or int(text) > MAX_DELAY_MS:
            raise _bad(f"delay must be whole milliseconds from 0 to {MAX_DELAY_MS}, got {text[:20]!r}")
        delay = int(text)
        applied.append(f"delay={delay}")
    if "fault" in values:
        if values["fault"] not in FAULTS:
            raise _bad(f"fault must be one of {', '.join(FAULTS)}, got {values['fault'][:20]!r}")
        fault = values["fault"]
        applied.append(f"fault={fault}")
    if "job" in values:
        if values["job"] not in _JOBS:
            raise _bad(f"job must be one of {', '.join(_JOBS)}, got {values['job'][:20]!r}")
        job = values["job"]
        applied.append(f"job={job}")
    if "retry" in values:
        if values["retry"] not in ("true", "false"):
            raise _bad(f"retry must be true or false, got {values['retry'][:20]!r}")
        retry = values["retry"] == "true"
        applied.append(f"retry={values['retry']}")
    callbacks = _callback_rules(values)
    return Preferences(error, delay, fault, job, retry, tuple(applied), callbacks)


def _callback_rules(values: dict[str, str]) -> tuple[CallbackRule, ...]:
    """`callback=<fault>` with `callback-state=<state>` and `callback-delay=<ms>`: one rule for the created task."""
    if "callback" not in values:
        if "callback-state" in values or "callback-delay" in values:
            raise _bad("callback-state and callback-delay go with callback=<fault>")
        return ()
    fault, state = values["callback"], values.get("callback-state") or None
    if fault not in CALLBACK_FAULTS:
        raise _bad(f"callback must be one of {', '.join(CALLBACK_FAULTS)}, got {fault[:20]!r}")
    if state is not None and state not in CALLBACK_STATES:
        raise _bad(f"callback-state must be one of {', '.join(CALLBACK_STATES)}, got {state[:20]!r}")
    delay = values.get("callback-delay", "0")
    if not delay.isdigit() or len(delay) > 8:
        raise _bad(f"callback-delay must be whole milliseconds, got {delay[:20]!r}")
    try:
        rule = CallbackRule(fault, state, 1, None, int(delay))
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return (rule,)  # listed as applied only by a route that binds it to a called-back task
