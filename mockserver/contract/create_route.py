"""`CreateRoute`: `POST` on the collection: a new task, or the refusal the contract gives.

On shared state a create takes one round trip: it answers on the state last seen and
commits only if that still holds (see `MockState.guess` and `commit`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from time import perf_counter
from typing import Any

from mockserver.contract.catalogue import Mode
from mockserver.contract.dialects import JobFacts
from mockserver.contract.engine_steps import QUEUED, EngineSteps
from mockserver.contract.errors import ApiError
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import Outcome
from mockserver.contract.prefer import JobPreference, Preferences
from mockserver.contract.replies import Incoming, Outgoing, json_reply
from mockserver.contract.state import Created, JournalFields, Turn
from mockserver.contract.task_ids import encode_task_id
from mockserver.contract.validation import check_create, classify_mode


class CreateRoute(EngineSteps):
    """Creates a task from a validated body, with injection, the journal and job plans."""

    def _create(self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str) -> Outgoing:
        state = self.state
        guess = state.guess()
        if guess is not None:
            # Shared state in one round trip: answer on the state last seen, then journal the
            # request only if that state still holds and no failure rule matches it (atomically).
            # Otherwise (a rule is queued, a reset, a clock move) answer again the careful way.
            asked: list[tuple[str, str | None, str | None]] = []

            def assume(model: str | None, mode: Mode | None) -> Turn:
                asked.append(("create", model, mode))
                return guess

            reply, fields, created = self._create_reply(request, headers, prefs, request_id, assume)
            if state.commit(guess, asked[0] if asked else None, self.clock.now(), fields, created):
                return reply
        take_turn = partial(self._begin, "create")
        reply, fields, created = self._create_reply(request, headers, prefs, request_id, take_turn)
        state.record(self.clock.now(), fields, created)
        return reply

    def _create_reply(
        self,
        request: Incoming,
        headers: dict[str, str],
        prefs: Preferences,
        request_id: str,
        take_turn: Callable[[str | None, Mode | None], Turn],
    ) -> tuple[Outgoing, JournalFields, Created | None]:
        """The reply to a create, its journal entry and the task it made; `take_turn(model, mode)` reads the state."""
        started = perf_counter()
        parsed: Any = None
        model = task_id = message = None
        # Classified once, here: failure rules match on it, validation and the new task reuse it.
        mode: Mode | None = None
        injected: str | None = None
        created: Created | None = None
        try:
            if request.size > self.settings.max_body_bytes:
                raise ApiError(
                    "payload_too_large",
                    f"The body is {request.size} bytes; the limit is {self.settings.max_body_bytes}.",
                )
            owner = self._authenticate(headers)
            # Parsed once: the result classifies the request for failure rules, and an
            # unparsable body is reported only after the Content-Type check below.
            parse_error: ApiError | None = None
            try:
                parsed = parse_json_body(request.body)
            except ApiError as bad_json:
                parse_error = bad_json
            if isinstance(parsed, dict):
                model = parsed.get("model") if isinstance(parsed.get("model"), str) else None
                mode = classify_mode(parsed)
            turn = take_turn(model, mode)
            injection = self._injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self._injected_error(injection.error, injected, request_id)
            else:
                content_type = headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != "application/json" and not content_type.endswith("+json"):
                    raise ApiError(
                        "unsupported_media_type",
                        f"Content-Type is {content_type or 'missing'!r}; send application/json.",
                    )
                if parse_error is not None:
                    raise parse_error
                model, mode = check_create(parsed, strict=self.settings.strict, mode=mode)
                job = self._new_task(model, mode, owner, prefs.job, turn, parsed.get("prompt"))
                reply = json_reply(200, job)
                task_id = job["id"]
                created = Created(task_id, parsed.get("prompt"), prefs.job is not None)
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self._refusal(api_error, request_id)
            injected = task_id = created = None
            message = api_error.message
        reply.task_id = task_id
        fields = self._journal_fields(
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
        self, model: str, mode: Mode, owner: str, job: JobPreference | None, turn: Turn, prompt: str | None
    ) -> dict[str, Any]:
        now = self.clock.now() + turn.clock_offset
        # The next queued plan belongs to this job, used up even when `Prefer: job=` overrides it.
        plan = self.state.take_job_plan()
        outcome: Outcome = job or (plan.outcome if plan is not None else "succeed")
        task_id = encode_task_id(
            self._signing_key(turn.epoch), created_at=now, model=model, mode=mode, outcome=outcome, owner=owner
        )
        task = self._task_from_facts(task_id, now, model, mode, outcome, owner)
        task.prompt = prompt
        if plan is not None:
            task.steps = plan.polls
        self.state.add_task(task)
        # CONTRACT §1: the create response is always `queued`, even with zero job timings.
        return self.dialect.created(JobFacts.of(task, QUEUED))
