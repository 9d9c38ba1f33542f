"""Queued failures: "fail the next N requests that match", with near-miss reasons."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.contract.data.catalogue import ErrorSpec, injectable_spec
from mockserver.contract.injection.decision import FAULTS, MAX_DELAY_MS, Fault, Injection
from mockserver.contract.injection.filters import check_filters
from mockserver.contract.routes.paths import route_of

Endpoint = Literal["create", "poll", "content", "any"]


@dataclass(slots=True)
class FailureRule:
    """Answer the next `times` matching requests with `error` (a status or code) or `fault`.

    With `after`, the first `after` matching requests are answered normally first: the rule
    holds their place in the queue, so rules queued behind it wait too (a script by position).
    `retry_after_ms` (None: the server's setting) is the wait a 429 or 503 asks for; a rule
    not `required` may still be pending when a test ends (the fixtures fail the test otherwise).
    `path` (a route template, `/v1/videos/{task_id}`; kept with its id as `{task_id}`) matches
    requests on that route only; `endpoint` left out is the path's (`create` without one).
    """

    error: str | None = None
    times: int = 1
    model: str | None = None
    mode: str | None = None
    endpoint: Endpoint | None = None
    fault: Fault | None = None
    delay_ms: int = 0
    after: int = 0
    retry_after_ms: int | None = None
    required: bool = True
    path: str | None = None

    def __post_init__(self) -> None:
        if self.error is None and self.fault is None and not self.delay_ms:
            raise ValueError("a failure rule needs an error, a fault or a delay")
        if self.error is not None:
            injectable_spec(self.error)
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
        endpoint, self.path = check_filters(self.model, self.mode, self.endpoint, self.path)
        self.endpoint = endpoint  # type: ignore[assignment]  # one of ENDPOINTS, checked
        if not isinstance(self.times, int) or isinstance(self.times, bool) or self.times < 1:
            raise ValueError("times must be a positive integer")
        if not isinstance(self.after, int) or isinstance(self.after, bool) or not 0 <= self.after <= 10_000:
            raise ValueError("after must be an integer from 0 to 10000")
        if not isinstance(self.delay_ms, int) or not 0 <= self.delay_ms <= MAX_DELAY_MS:
            raise ValueError(f"delay_ms must be an integer from 0 to {MAX_DELAY_MS}")
        wait = self.retry_after_ms
        if wait is not None and (not isinstance(wait, int) or isinstance(wait, bool) or not 0 <= wait <= MAX_DELAY_MS):
            raise ValueError(f"retry_after_ms must be an integer from 0 to {MAX_DELAY_MS} (or None)")

    @property
    def spec(self) -> ErrorSpec | None:
        """The catalogue error this rule answers with, if any."""
        return injectable_spec(self.error) if self.error is not None else None

    @property
    def injection(self) -> Injection:
        """What one firing of this rule injects."""
        source = f"rule:{self.error or self.fault or 'delay'}"
        return Injection(self.spec, self.fault, self.delay_ms, source, self.retry_after_ms)

    def matches(self, endpoint: str, model: str | None, mode: str | None, route: str | None = None) -> tuple[bool, str]:
        """Whether a request (on route template `route`, see `route_of`) matches, and if not, the first reason why not."""
        if self.endpoint != "any" and self.endpoint != endpoint:
            return False, f"endpoint is {endpoint}, rule wants {self.endpoint}"
        if self.path is not None and self.path != route:
            return False, f"path is on {route!r}, rule wants {self.path!r}"
        if self.model is not None and self.model != model:
            return False, f"model is {model!r}, rule wants {self.model!r}"
        if self.mode is not None and self.mode != mode:
            return False, f"mode is {mode!r}, rule wants {self.mode!r}"
        return True, "matched"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description of the rule."""
        return {
            "error": self.error,
            "times": self.times,
            "model": self.model,
            "mode": self.mode,
            "endpoint": self.endpoint,
            "fault": self.fault,
            "delay_ms": self.delay_ms,
            "after": self.after,
            "retry_after_ms": self.retry_after_ms,
            "required": self.required,
            "path": self.path,
        }


class FailureQueue:
    """Rules in the order queued; the first match fires and is used up after `times`."""

    def __init__(self, cap: int = 1000) -> None:
        self._rules: list[FailureRule] = []
        self._cap = cap
        self._lock = threading.Lock()

    def add(self, rule: FailureRule) -> None:
        """Queue `rule` after the ones already queued."""
        with self._lock:
            if len(self._rules) >= self._cap:
                raise ValueError(f"at most {self._cap} failure rules may be queued")
            self._rules.append(rule)

    def take(self, endpoint: str, model: str | None, mode: str | None, path: str = "") -> FailureRule | None:
        """Use up one firing of the first rule matching this request (at `path`), if any.

        A first match still letting requests through (`after`) counts this one and answers None.
        """
        if not self._rules:
            return None  # the usual case, without the lock: a rule queued meanwhile serves the next request
        with self._lock:
            route = route_of(path) if any(rule.path is not None for rule in self._rules) else None
            for rule in self._rules:
                if rule.matches(endpoint, model, mode, route)[0]:
                    if rule.after:
                        rule.after -= 1
                        return None
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def pending(self) -> list[FailureRule]:
        """The rules still queued (copies of the list, same rule objects)."""
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        """Drop every queued rule."""
        with self._lock:
            self._rules.clear()
