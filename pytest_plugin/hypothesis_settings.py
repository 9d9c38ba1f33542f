"""The Hypothesis settings `@given` tests using `video_api` or `video_server` need, applied for them.

Without them every such test repeats `@settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
deadline=None)`. The fixtures are meant to be shared by a test's examples (`video_api.play(...)`
starts each afresh), and a live server's first answer may take longer than the default deadline.
A test's own `@settings` still win: only the health check is added, and the deadline dropped
only where it is the current profile's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply_to"]


def apply_to(test: Any) -> None:
    """Relax the settings of `test` if it is a Hypothesis test; anything else is left alone."""
    function = getattr(test, "__func__", test)
    if not getattr(function, "is_hypothesis_test", False):
        return
    from hypothesis import HealthCheck, settings

    profile = settings()  # the current profile's values
    current: settings = getattr(function, "_hypothesis_internal_use_settings", None) or profile
    checks = {HealthCheck.function_scoped_fixture, *current.suppress_health_check}
    deadline = None if current.deadline == profile.deadline else current.deadline
    # The attribute Hypothesis reads a test's settings from (its pytest plugin sets it the same way).
    function._hypothesis_internal_use_settings = settings(current, suppress_health_check=checks, deadline=deadline)
