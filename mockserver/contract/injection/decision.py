"""Injection: what the mock can do wrong on purpose, and the one decision of what it does.

Vocabulary (owned here, used everywhere else):
- an *error* is a catalogue error answered instead of the real reply (`ErrorSpec`);
- a *fault* is a transport failure a face acts out on the wire: `reset` (TCP RST),
  `empty` (closed without a reply), `timeout` (no reply before the client gives up), or
  `malformed` (a 200 `application/json` reply whose body is `MALFORMED_BODY`, truncated JSON);
- a *delay* is extra latency in milliseconds, at most `MAX_DELAY_MS`.

They come from three sources: the request's `Prefer` header, a queued failure rule
(`MockControl.queue_failure`) and the configured random rate and latency. `decide()`
combines them into one `Injection`; the engine acts out the error and the malformed
body, and each face acts out delays and the connection faults (`DROPS_CONNECTION`).
An injected error's wording (`injected_error`) names the source that asked for it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal, get_args

from mockserver.contract.data.catalogue import ErrorSpec, injectable_spec
from mockserver.contract.errors import ApiError
from mockserver.contract.settings import MAX_DELAY_MS, Settings

__all__ = [
    "DROPS_CONNECTION",
    "FAULTS",
    "MALFORMED_BODY",
    "MALFORMED_STATUS",
    "MAX_DELAY_MS",
    "NO_INJECTION",
    "Fault",
    "Injection",
    "decide",
    "injected_error",
]

Fault = Literal["reset", "empty", "malformed", "timeout"]
FAULTS: tuple[Fault, ...] = get_args(Fault)
# The faults that end the connection without an HTTP reply (`malformed` is a reply).
DROPS_CONNECTION: frozenset[str] = frozenset({"reset", "empty", "timeout"})

# A job object cut off mid-string: valid HTTP, invalid JSON.
MALFORMED_STATUS = 200
MALFORMED_BODY = b'{"id": "task_malformed", "object": "video.generation.j'


@dataclass(frozen=True, slots=True)
class Injection:
    """What to do wrong with one request; `source` says why (`prefer`, `rule:<what>`, `random:<code>`)."""

    error: ErrorSpec | None = None
    fault: Fault | None = None
    delay_ms: int = 0
    source: str | None = None

    @classmethod
    def requested(cls, error: ErrorSpec | None, fault: Fault | None, delay_ms: int | None) -> Injection:
        """What a `Prefer` header asked for (`NO_INJECTION` when nothing)."""
        if error is None and fault is None and not delay_ms:
            return NO_INJECTION
        return cls(error, fault, delay_ms or 0, "prefer")


NO_INJECTION = Injection()


def decide(
    requested: Injection,
    queued: Injection | None,
    settings: Settings,
    rng: random.Random,
    lock: threading.RLock,
) -> Injection:
    """Combine the request's own ask, a queued rule's and the configured randomness.

    The request's error and fault win over the rule's; delays add up. A random error is
    drawn only when nothing else chose an error or fault; `rng` is drawn under `lock`.
    """
    error, fault, delay, source = requested.error, requested.fault, requested.delay_ms, requested.source
    if queued is not None:
        error = error or queued.error
        fault = fault or queued.fault
        delay += queued.delay_ms
        source = queued.source
    low, high = settings.latency_ms
    random_error = settings.error_rate > 0 and error is None and fault is None
    if not (high > 0 or random_error):
        # Nothing random to draw: no lock needed.
        return requested if queued is None else Injection(error, fault, delay, source)
    with lock:
        if random_error and rng.random() < settings.error_rate:
            error = injectable_spec(rng.choice(settings.error_codes))
            source = f"random:{error.code}"
        if high > 0:
            delay += rng.randint(low, high)
    return Injection(error, fault, delay, source)


# An injection's `source` (its first word) -> how the user asked for it, in an injected error's message.
_HOW = {"prefer": "the Prefer header", "rule": "a queued failure (/__mock/failures)", "random": "the error rate"}


def injected_error(spec: ErrorSpec, described: str | None) -> ApiError:
    """`spec` as an `ApiError`; a client-fault status (4xx but 429) says it was injected.

    A 400 injected on a valid body must not read "The request body is not valid JSON.":
    the code stays the catalogue's (clients branch on it), the message says what happened.
    429 and 5xx messages describe the server's state, which the injection acts out, so
    they keep the catalogue's words.
    """
    if spec.status >= 500 or spec.status == 429:
        return ApiError(spec.code)
    how = _HOW.get((described or "").split(":")[0], "the mock")
    return ApiError(
        spec.code,
        f"Injected by the mock through {how}: a {spec.status} {spec.code}; the request itself was not checked.",
    )
