"""The fixtures' defaults, and how a `video_api` marker's keywords change them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.contract.jobs.clock import Clock, ManualClock, SystemClock
from mockserver.contract.settings import Settings

__all__ = ["DEFAULT_SETTINGS", "ClockChoice", "FakeOptions", "new_clock"]

# Step lifecycle: a client polling until done finishes after two polls, with no waiting; and
# `openai-poll-after-ms: 1` on polls, so the OpenAI SDK's poll() waits a millisecond, not a second.
DEFAULT_SETTINGS = Settings(lifecycle="step", poll_after_ms=1)

ClockChoice = Literal["manual", "system"] | Clock


def new_clock(choice: ClockChoice = "manual") -> Clock:
    """A fresh clock: `"manual"` (stands still until advanced), `"system"` (wall time) or `choice` itself."""
    if choice == "manual":
        return ManualClock()
    if choice == "system":
        return SystemClock()
    if isinstance(choice, str) or not callable(getattr(choice, "now", None)):
        raise ValueError(f"clock must be 'manual', 'system' or an object with now(), got {choice!r}")
    return choice


@dataclass(frozen=True)
class FakeOptions:
    """What one test's fake runs with: settings, the base URL it narrows to, its clock, and whether
    queued failure rules still pending when the test ends fail it (`assert_all_used`)."""

    settings: Settings = DEFAULT_SETTINGS
    base_url: str | None = None
    clock: ClockChoice = "manual"
    assert_all_used: bool = True

    @classmethod
    def build(cls, settings: Settings, marker: Mapping[str, Any], base_url: str | None = None) -> FakeOptions:
        """Apply a marker's keywords (`base_url`, `clock`, `assert_all_used`, any `Settings` field) over `settings`."""
        changes = dict(marker)
        base_url = changes.pop("base_url", base_url) or None
        clock: ClockChoice = changes.pop("clock", "manual")
        new_clock(clock)  # reject a bad choice before the test runs
        assert_all_used = changes.pop("assert_all_used", True)
        if not isinstance(assert_all_used, bool):
            raise ValueError(f"assert_all_used must be True or False, got {assert_all_used!r}")
        return cls(settings.with_updates(**changes), base_url, clock, assert_all_used)
