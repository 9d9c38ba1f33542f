"""Failure rules still pending when a test ends: the test fails, as respx's `assert_all_called` does.

A rule that never fired means the path it was queued for (a retry, a poll error) never
ran, so the test passed without testing it. Switch the check off for one test with
`@pytest.mark.video_api(assert_all_used=False)`, or for one rule with `required=False`.
"""

from __future__ import annotations

from mockserver.contract.admin.control import MockControl
from mockserver.contract.injection.failures import FailureRule

__all__ = ["describe", "unused_rules_message"]


def describe(rule: FailureRule) -> str:
    """One rule as a call that would queue it again, e.g. `queue_failure(429, model='viduq3p-720p')`."""
    what = [repr(rule.error)] if rule.error is not None else []
    defaults = FailureRule(error="500")
    for name in ("times", "model", "mode", "endpoint", "path", "fault", "delay_ms", "after", "retry_after_ms"):
        value = getattr(rule, name)
        if value != getattr(defaults, name):
            what.append(f"{name}={value!r}")
    return f"queue_failure({', '.join(what)})"


def unused_rules_message(control: MockControl) -> str | None:
    """Why the test fails: every required rule still pending, one per line; None when there is none."""
    pending = [rule for rule in control.pending_failures if rule.required]
    if not pending:
        return None
    lines = [f"{len(pending)} queued failure rule(s) never fired, so the code they were meant to test never ran:"]
    lines += [f"  {describe(rule)}" for rule in pending]
    lines.append(
        "Send the requests they match, or pass required=False to a rule that may stay unused, "
        "or mark the test @pytest.mark.video_api(assert_all_used=False)."
    )
    return "\n".join(lines)
