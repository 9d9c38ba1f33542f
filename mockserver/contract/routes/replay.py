"""`ReplayRoute`: while a recording is replayed, every API request is answered from it.

The one hook: `ContractEngine._route` sends requests here when its `replay` is set. What a
replayed request gets is `Replay`'s; what stays the mock's: injection (the `Prefer` header,
queued failures, random errors and latency apply on top), the journal, and the refusal
shape of the dialect (a near miss is the dialect's 404 `not_found`).
"""

from __future__ import annotations

from time import perf_counter

from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.replay.matching import Replay
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.routes.steps import EngineSteps

__all__ = ["ReplayRoute"]


class ReplayRoute:
    """Answers from the engine's `replay` (a face sets it: `mockserver.recordings.replaying.attach_replay`)."""

    def __init__(self, steps: EngineSteps) -> None:
        """The replay route over `steps`: the engine's state, clock, settings and shared steps."""
        self.steps = steps

    def answer(
        self, replay: Replay, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str
    ) -> Outgoing:
        started = perf_counter()
        found = replay.find(request)
        turn = self.steps.begin(found.endpoint, found.model, found.mode, request.path)
        injection = self.steps.injection(turn.rule, prefs)
        message = None
        if injection.error is not None:
            reply, message = self.steps.injected_reply(injection, request_id)
        elif not found.matching:
            message = found.miss
            reply = self.steps.refusal(ApiError("not_found", message), request_id)
        else:  # only a replayed answer moves the sequence on, as only a real poll moves a mock's task
            reply = replay.reply(replay.take(found), request.base_url)
        reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        reply.task_id = found.task_id
        try:
            body = parse_json_body(request.body) if found.endpoint == "create" else None
        except ApiError:
            body = None
        fields = self.steps.journal_fields(
            request,
            headers,
            reply,
            found.endpoint,
            body=body,
            task_id=found.task_id,
            model=found.model,
            mode=found.mode,
            injected=injection.source,
            started=started,
            message=message,
        )
        self.steps.state.record(self.steps.clock.now(), fields)
        return reply
