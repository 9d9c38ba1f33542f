"""`CallbackSteps`: the engine's side of Vidu's task callbacks (docs/callbacks.md).

A create whose body carries `callback_url`, in a dialect that calls back, has its task
watched by the engine's `CallbackOutbox` with the token that created it; what the request
asked for (`Prefer: callback=`) and its job plan's callback faults become rules bound to
the task. Faces call `callbacks_due()` to take what is due, signed, and report back.
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.callbacks.faults import CallbackRule
from mockserver.contract.callbacks.outbox import Outbound
from mockserver.contract.dialects import JobFacts, Route
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.jobs.lifecycle import JobView, Task
from mockserver.contract.routes.steps import EngineSteps
from mockserver.contract.routes.tasks import video_url

__all__ = ["CallbackSteps", "callback_target"]

#: The poll route whose body a callback carries (Vidu: "the same structure as GET Generation").
CALLBACK_ROUTE: Route = "generations"


def callback_target(body: Any) -> str | None:
    """The create body's `callback_url`, when it is a non-empty string."""
    if isinstance(body, dict):
        url = body.get("callback_url")
        if isinstance(url, str) and url.strip():
            return url.strip()
    return None


def _token(headers: dict[str, str]) -> str:
    return headers.get("authorization", "").strip().partition(" ")[2].strip()


class CallbackSteps(EngineSteps):
    """Watches tasks created with a `callback_url` and renders the bodies their callbacks carry."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A created job's planned callback faults, until `_created` binds them to its task.
        self._plan_callbacks: dict[str, tuple[CallbackRule, ...]] = {}

    def _watch_callback(
        self,
        task_id: str,
        body: Any,
        headers: dict[str, str],
        base_url: str,
        prefs: Preferences,
        plan_rules: tuple[CallbackRule, ...] = (),
    ) -> None:
        """Watch the task a create just made, if its body asks for callbacks and the dialect sends them."""
        url = callback_target(body)
        if url is None or not self.dialect.calls_back:
            return
        task = self.state.local_task(task_id)
        if task is None:
            return  # a shared backend keeps records only: callbacks come from the process holding the task
        outbox = self.callbacks
        for rule in (*plan_rules, *prefs.callbacks):
            outbox.add_rule(CallbackRule(rule.fault, rule.state, rule.times, task_id, rule.delay_ms))
        outbox.watch(task, url, _token(headers), base_url)

    def _callback_body(self, task: Task, view: JobView, base_url: str) -> dict[str, Any]:
        """The poll body of `task` in `view`, as a callback carries it."""
        return self.dialect.job(CALLBACK_ROUTE, JobFacts.of(task, view, video_url(base_url, task.id)))

    def callbacks_due(self) -> list[Outbound]:
        """Note state changes since the last look, then take every delivery due now (mock clock), signed now."""
        outbox = self.callbacks
        now = self.now()
        outbox.observe(now, self._callback_body)
        return outbox.due(now)
