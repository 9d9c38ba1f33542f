"""`CallbackSteps`: the engine's side of Vidu's task callbacks (docs/callbacks.md).

A create in a dialect that calls back (`vidu`) whose body carries `callback_url` has its
task watched by the engine's `CallbackOutbox` with the token that created it; what the
request asked for (`Prefer: callback=`) and the faults planned for the job become rules
bound to the task. Faces call `callbacks_due()` to take what is due, signed, and report back.
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

__all__ = ["CALLING_DIALECTS", "CallbackSteps", "callback_target"]

#: The dialects whose creates take a `callback_url` and are called back (Vidu's own API).
CALLING_DIALECTS = frozenset({"vidu"})

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

    @property
    def calls_back(self) -> bool:
        """Whether this engine's dialect calls a create's `callback_url` back."""
        return self.settings.dialect in CALLING_DIALECTS

    def _watch_callback(
        self, task_id: str, body: Any, headers: dict[str, str], base_url: str, prefs: Preferences
    ) -> None:
        """After a create made `task_id`: use up the job's planned callback faults, and watch the task
        when its body asks for callbacks (with `Prefer: callback=` and the plan as its own rules)."""
        if not self.calls_back:
            return
        outbox = self.callbacks
        planned = outbox.job_created()  # "job 1" of a plan is the next created job, with a callback URL or not
        url = callback_target(body)
        task = self.state.local_task(task_id)
        if url is None or task is None:
            return  # a shared backend keeps records only: callbacks come from the process holding the task
        for rule in (*planned, *prefs.callbacks):
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
