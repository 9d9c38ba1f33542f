"""`TaskRoutes`: a task's poll (both routes) and its video download."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from time import perf_counter

from mockserver.contract.data.catalogue import TASK_ID_PATTERN
from mockserver.contract.dialects import JobFacts, Route
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.jobs.ids import decode_task_id
from mockserver.contract.jobs.lifecycle import JobView, Task
from mockserver.contract.jobs.stuck_clock import StuckClockWatch
from mockserver.contract.messages import Incoming, Outgoing, json_reply
from mockserver.contract.routes.paths import content_path
from mockserver.contract.routes.steps import EngineSteps, sample_video
from mockserver.contract.state.protocol import Turn
from mockserver.contract.video_content import video_answer

_TASK_ID = re.compile(TASK_ID_PATTERN)


class TaskRoutes:
    """Finds a task by its id (held here or derived from the signed id) and answers its reads."""

    def __init__(self, steps: EngineSteps) -> None:
        """The task routes over `steps`: the engine's state, clock, settings and shared steps."""
        self.steps = steps
        # Refuses endless polls of a time-lifecycle job on a manual clock (mockserver.contract.jobs.stuck_clock).
        self._stuck_clock = StuckClockWatch()

    def find_task(self, task_id: str) -> Task | None:
        """The task with this id as it stands now (on shared state: the current epoch and record)."""
        if not _TASK_ID.match(task_id):
            return None
        state = self.steps.state
        task = self.lookup(task_id, state.refresh()[0] if state.shared else state.epoch)
        if task is not None and state.shared:
            state.load_task(task)
        return task

    def lookup(self, task_id: str, epoch: int) -> Task | None:
        """The task this process holds, or one derived from its signed id (another worker issued it)."""
        state = self.steps.state
        task = state.local_task(task_id)
        if task is not None:
            return task
        if not state.shared and self.steps.settings.lifecycle != "time":
            return None  # a step task's poll count lives with the process that created it
        facts = decode_task_id(self.steps.signing_key(epoch), task_id)
        if facts is None:
            return None
        task = self.steps.task_from_facts(task_id, *facts)
        state.add_task(task)
        return task

    def _poll_turn(self, task_id: str, owner: str, path: str = "") -> tuple[Task, Turn]:
        """The polled task (404 unless `owner`'s) and the state read for its poll (at `path`), under one epoch."""
        state = self.steps.state
        epoch = state.epoch
        while True:
            task = self.lookup(task_id, epoch) if _TASK_ID.match(task_id) else None
            if task is None and state.shared and _TASK_ID.match(task_id):
                current = state.refresh()[0]  # an id from after a reset this process has not seen yet?
                if current != epoch:
                    epoch = current
                    continue
            if task is None or not hmac.compare_digest(task.owner, owner):
                raise ApiError("task_not_found", f"No task {task_id[:130]!r} for this API key.", "task_id")
            turn = state.begin("poll", task.model, task.mode, epoch, task, path)
            if turn.epoch == epoch:
                return task, turn
            epoch = turn.epoch

    def poll(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        task_id: str,
        route: Route,
        request_id: str,
    ) -> Outgoing:
        guess = self.steps.state.guess()
        if guess is not None:
            # Shared state in one round trip: answer on the state last seen; one script checks it
            # still holds and no poll rule matches, counts the poll and journals it. Otherwise
            # (a rule is queued, a reset, a clock move, an unknown task) answer the careful way.
            fast = self._poll_on_guess(request, headers, prefs, task_id, route, request_id, guess)
            if fast is not None:
                return fast
        started = perf_counter()
        model = mode = message = None
        injected = None
        try:
            owner = self.steps.authenticate(headers)
            task, turn = self._poll_turn(task_id, owner, request.path)
            model, mode = task.model, task.mode
            injection = self.steps.injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self.steps.injected_reply(injection, request_id)
            else:
                now = self.steps.clock.now() + turn.clock_offset
                view = self.steps.state.change_task(task, lambda polled: polled.poll(now))
                self._stuck_clock.check(self.steps.clock, task, view, now)
                reply = self._job_reply(route, self._facts(task, view, request.base_url))
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            message = api_error.message
        return self.steps.journaled(request, headers, reply, "poll", task_id, model, mode, injected, started, message)

    def _poll_on_guess(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        task_id: str,
        route: Route,
        request_id: str,
        guess: Turn,
    ) -> Outgoing | None:
        """A poll answered on `guess` in one round trip; None when the careful way must answer."""
        started = perf_counter()
        try:
            owner = self.steps.authenticate(headers)
        except ApiError:
            return None
        task = self.lookup(task_id, guess.epoch) if _TASK_ID.match(task_id) else None
        if task is None or not hmac.compare_digest(task.owner, owner):
            return None
        state, model, mode = self.steps.state, task.model, task.mode
        injection = self.steps.injection(None, prefs)
        message = None
        if injection.error is not None:
            reply, message = self.steps.injected_reply(injection, request_id)
        else:
            reply = Outgoing(200, {}, b"")  # its status and delay are all the journal entry needs yet
        reply.fault, reply.delay_ms, reply.task_id = injection.fault, injection.delay_ms, task_id
        fields = self.steps.journal_fields(
            request,
            headers,
            reply,
            "poll",
            task_id=task_id,
            model=model,
            mode=mode,
            injected=injection.source,
            started=started,
            message=message,
        )
        clock_now = self.steps.clock.now()
        if injection.error is not None:
            return reply if state.commit(guess, ("poll", model, mode, request.path), clock_now, fields) else None
        now = clock_now + guess.clock_offset
        if not state.poll(guess, task, now, clock_now, fields, request.path):
            return None
        answer = self._job_reply(route, self._facts(task, task.view(now), request.base_url))
        answer.fault, answer.delay_ms, answer.task_id = reply.fault, reply.delay_ms, task_id
        return answer

    def _facts(self, task: Task, view: JobView, base_url: str) -> JobFacts:
        """What a poll shows of `task` in `view` (a timeout's reason names the `task_timeout_minutes` setting)."""
        return JobFacts.of(task, view, video_url(base_url, task.id), self.steps.settings.task_timeout_minutes)

    def _job_reply(self, route: Route, facts: JobFacts) -> Outgoing:
        """A successful poll's answer, with `openai-poll-after-ms` when the `poll_after_ms` setting asks for it."""
        reply = json_reply(200, self.steps.dialect.job(route, facts))
        poll_after_ms = self.steps.settings.poll_after_ms
        if poll_after_ms is not None:
            reply.headers["openai-poll-after-ms"] = str(poll_after_ms)
        return reply

    def video(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str, request_id: str
    ) -> Outgoing:
        """A completed task's MP4 (a `Range` honoured), or the dialect's not-found before."""
        return self.content(
            request,
            headers,
            prefs,
            task_id,
            request_id,
            lambda: video_answer(sample_video(), headers.get("range"), self.steps.dialect, request_id),
        )

    def content(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        task_id: str,
        request_id: str,
        answer: Callable[[], Outgoing],
    ) -> Outgoing:
        """`answer()` for a completed task's media (every dialect's), with injection and the journal."""
        started = perf_counter()
        model = mode = message = None
        injected = None
        try:
            task = self.find_task(task_id)
            status = None if task is None else task.view(self.steps.now()).status
            if task is None or status != "completed":
                # Not yet there: the dialect's 404, and no failure rule is used up.
                reply = self.steps.dialect.video_unavailable(status, request_id)
            else:
                model, mode = task.model, task.mode
                injection = self.steps.injection(self.steps.begin("content", model, mode, request.path).rule, prefs)
                injected = injection.source
                if injection.error is not None:
                    reply, message = self.steps.injected_reply(injection, request_id)
                else:
                    reply = answer()
                reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            message = api_error.message
        return self.steps.journaled(
            request, headers, reply, "content", task_id, model, mode, injected, started, message
        )


def video_url(base_url: str, task_id: str) -> str:
    """Where the mock serves a completed task's video (like a signed CDN link, no token needed)."""
    return base_url.rstrip("/") + content_path(task_id)
