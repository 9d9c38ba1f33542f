"""`injection.decide`: the one place the Prefer header, queued rules and randomness combine."""

from __future__ import annotations

import random
import threading

from mockserver.contract.data.catalogue import injectable_spec
from mockserver.contract.injection.decision import NO_INJECTION, Injection, decide
from mockserver.contract.injection.prefer import parse_prefer
from mockserver.contract.settings import Settings

LOCK = threading.RLock()


def test_nothing_asked_and_nothing_configured_is_no_injection() -> None:
    assert decide(parse_prefer(None).injection, None, Settings(), random.Random(0), LOCK) is NO_INJECTION


def test_the_request_wins_over_the_rule_and_delays_add_up() -> None:
    asked = parse_prefer("code=429, delay=5").injection
    rule = Injection(injectable_spec("500"), "reset", 7, "rule:500")
    decided = decide(asked, rule, Settings(), random.Random(0), LOCK)
    assert (decided.error, decided.fault, decided.delay_ms) == (injectable_spec("429"), "reset", 12)
    assert decided.source == "rule:500"


def test_a_random_error_is_drawn_only_when_nothing_else_chose_one() -> None:
    settings = Settings(error_rate=1.0, error_codes=("503",), latency_ms=(3, 3))
    drawn = decide(NO_INJECTION, None, settings, random.Random(0), LOCK)
    assert (drawn.error, drawn.delay_ms, drawn.source) == (injectable_spec("503"), 3, "random:service_unavailable")
    faulted = decide(parse_prefer("fault=empty").injection, None, settings, random.Random(0), LOCK)
    assert (faulted.error, faulted.fault, faulted.delay_ms) == (None, "empty", 3)
