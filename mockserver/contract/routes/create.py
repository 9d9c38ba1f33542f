"""`CreateRoute`: `POST` on a create route: a new task, or the refusal the contract gives.

Both create routes (`POST /v1/video/generations` and `POST /v1/videos`) take this one path:
a reader per route (`video_readers`) turns the request into the one create input.

On shared state a create takes one round trip: it answers on the state last seen and
commits only if that still holds (see `MockState.guess` and `commit`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import Any

from mockserver.contract.data.catalogue import Mode
from mockserver.contract.dialects import JobFacts, Route
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import JobPreference, Preferences
from mockserver.contract.jobs.ids import encode_task_id
from mockserver.contract.jobs.lifecycle import Outcome, Task
from mockserver.contract.messages import Incoming, Outgoing, json_reply
from mockserver.contract.requests.readers import read_create
from mockserver.contract.routes.concurrency import ConcurrencyGate
from mockserver.contract.routes.steps import QUEUED, EngineSteps
from mockserver.contract.state.protocol import Created, JournalFields, RuleKey, Turn


class CreateRoute:
    """Creates a task from a validated body, with injection, the journal and job plans."""

    def __init__(self, steps: EngineSteps, gate: ConcurrencyGate) -> None:
        """A create route over `steps` (state, clock, settings, shared steps), admitted by `gate` (the per-token cap)."""
        self.steps = steps
        self.gate = gate

    def handle(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        request_id: str,
        route: Route = "generations",
        model: str | None = None,
    ) -> Outgoing:
        """A create on `route`; `model` (a remix: the origin task's) replaces the one the body names."""
        state = self.steps.state
        guess = state.guess()
        if guess is not None:
            # Shared state in one round trip: answer on the state last seen, then journal the
            # request only if that state still holds and no failure rule matches it (atomically).
            # Otherwise (a rule is queued, a reset, a clock move) answer again the careful way.
            asked: list[RuleKey] = []

            def assume(model: str | None, mode: Mode | None) -> Turn:
                asked.append(("create", model, mode, request.path))
                return guess

            reply, fields, created = self._create_reply(request, headers, prefs, request_id, assume, route, model)
            if state.commit(guess, asked[0] if asked else None, self.steps.clock.now(), fields, created):
                self.gate.settle(headers, request_id, None if created is None else created.task_id)
                return reply
        take_turn = partial(self.steps.begin, "create", path=request.path)
        reply, fields, created = self._create_reply(request, headers, prefs, request_id, take_turn, route, model)
        state.record(self.steps.clock.now(), fields, created)
        self.gate.settle(headers, request_id, None if created is None else created.task_id)
        return reply

    def _create_reply(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        request_id: str,
        take_turn: Callable[[str | None, Mode | None], Turn],
        route: Route = "generations",
        model_override: str | None = None,
    ) -> tuple[Outgoing, JournalFields, Created | None]:
        """The reply to a create on `route`, its journal entry and the task it made; `take_turn(model, mode)` reads the state."""
        started = perf_counter()
        parsed: Any = None
        model = task_id = message = None
        # Classified once, here: failure rules match on it, validation and the new task reuse it.
        mode: Mode | None = None
        injected: str | None = None
        created: Created | None = None
        try:
            if request.size > self.steps.settings.max_body_bytes:
                raise ApiError(
                    "payload_too_large",
                    f"The body is {request.size} bytes; the limit is {self.steps.settings.max_body_bytes}.",
                )
            owner = self.steps.authenticate(headers)
            # Read once: the result classifies the request for failure rules; what is wrong
            # with it (Content-Type, an unreadable body, the rules) is reported after injection.
            read = read_create(request, headers, route, self.steps.settings.max_body_bytes)
            if model_override is not None:
                read.use_model(model_override)
            self.gate.reserve(owner, request_id)  # new-api's gate: before the task handler reads the body
            parsed, model, mode = read.journal, read.model, read.mode
            turn = take_turn(model, mode)
            injection = self.steps.injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self.steps.injected_reply(injection, request_id)
            else:
                model, mode = read.check(strict=self.steps.settings.strict)
                job = self._new_task(model, mode, owner, prefs.job, turn, read.prompt, route)
                reply = json_reply(200, job)
                task_id = job["id"]
                created = Created(task_id, read.prompt, prefs.job is not None)
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            injected = task_id = created = None
            message = api_error.message
        reply.task_id = task_id
        fields = self.steps.journal_fields(
            request,
            headers,
            reply,
            "create",
            body=parsed,
            task_id=task_id,
            model=model,
            mode=mode,
            injected=injected,
            started=started,
            message=message,
        )
        return reply, fields, created

    def _new_task(
        self,
        model: str,
        mode: Mode,
        owner: str,
        job: JobPreference | None,
        turn: Turn,
        prompt: str | None,
        route: Route = "generations",
    ) -> dict[str, Any]:
        task = self.make_task(model, mode, owner, job, turn, prompt)
        # CONTRACT §1: the create response is always `queued`, even with zero job timings.
        return self.steps.dialect.created_on(route, JobFacts.of(task, QUEUED))

    def make_task(
        self,
        model: str,
        mode: Mode,
        owner: str,
        job: JobPreference | None,
        turn: Turn,
        prompt: str | None,
        off_peak: bool = False,
    ) -> Task:
        """A new task, its outcome from `Prefer: job=` or the next queued plan, added to the state."""
        now = self.steps.clock.now() + turn.clock_offset
        # The next queued plan belongs to this job, used up even when `Prefer: job=` overrides it.
        plan = self.steps.state.take_job_plan()
        outcome: Outcome = job or (plan.outcome if plan is not None else "succeed")
        task_id = encode_task_id(
            self.steps.signing_key(turn.epoch), created_at=now, model=model, mode=mode, outcome=outcome, owner=owner
        )
        task = self.steps.task_from_facts(task_id, now, model, mode, outcome, owner, off_peak)
        task.prompt = prompt
        if plan is not None:
            task.steps = plan.polls
            task.reason = plan.reason
        self.steps.state.add_task(task)
        return task
