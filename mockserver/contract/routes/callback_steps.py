"""The engine's side of Vidu's task callbacks (docs/callbacks.md).

A create in a dialect that calls back (`vidu`) whose body carries `callback_url` has its
task watched by the engine's `CallbackOutbox` with the token that created it
(`watch_callback`); what the request asked for (`Prefer: callback=`) and the faults planned
for the job become rules bound to the task. Faces call `ContractEngine.callbacks_due()` to
take what is due, signed, and report back.
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.callbacks.faults import CallbackRule
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.routes.steps import EngineSteps
from mockserver.contract.settings import Settings

__all__ = ["CALLING_DIALECTS", "callback_target", "calls_back", "watch_callback"]

#: The dialects whose creates take a `callback_url` and are called back (Vidu's own API).
CALLING_DIALECTS = frozenset({"vidu"})


def calls_back(settings: Settings) -> bool:
    """Whether the dialect these settings speak calls a create's `callback_url` back."""
    return settings.dialect in CALLING_DIALECTS


def callback_target(body: Any) -> str | None:
    """The create body's `callback_url`, when it is a non-empty string."""
    if isinstance(body, dict):
        url = body.get("callback_url")
        if isinstance(url, str) and url.strip():
            return url.strip()
    return None


def _token(headers: dict[str, str]) -> str:
    return headers.get("authorization", "").strip().partition(" ")[2].strip()


def watch_callback(
    steps: EngineSteps, task_id: str, body: Any, headers: dict[str, str], base_url: str, prefs: Preferences
) -> bool:
    """After a create made `task_id`: use up the job's planned callback faults, and watch the task
    when its body asks for callbacks (with `Prefer: callback=` and the plan as its own rules).

    True when the task is watched, so a `Prefer: callback=` was honoured (and may be listed as applied).
    """
    if not calls_back(steps.settings):
        return False
    outbox = steps.callbacks
    planned = outbox.job_created()  # "job 1" of a plan is the next created job, with a callback URL or not
    url = callback_target(body)
    task = steps.state.local_task(task_id)
    if url is None or task is None:
        return False  # a shared backend keeps records only: callbacks come from the process holding the task
    for rule in (*planned, *prefs.callbacks):
        outbox.add_rule(CallbackRule(rule.fault, rule.state, rule.times, task_id, rule.delay_ms))
    outbox.watch(task, url, _token(headers), base_url)
    return True
