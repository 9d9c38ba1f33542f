"""The plan of a run: which requests the free and paid checks send, printed by `--dry-run`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mockserver.contract.catalogue import COLLECTION, TASK_ID_PREFIX, VIDEOS
from mockserver.verify import videos_plan as videos_route
from mockserver.verify.options import VerifyOptions
from mockserver.verify.samples import INVALID_BODIES, create_examples

__all__ = [
    "COLLECTION",
    "UNKNOWN_PATH",
    "UNKNOWN_TASK",
    "VIDEOS",
    "PlannedStep",
    "build_plan",
    "max_polls",
    "render_plan",
]

UNKNOWN_TASK = f"{TASK_ID_PREFIX}vidumockverifyunknown0000"
UNKNOWN_PATH = "/v1/vidu-mock-verify/no-such-endpoint"


@dataclass(frozen=True)
class PlannedStep:
    """One step of the plan: what is sent, how many requests at most, and whether it may cost."""

    what: str
    request: str
    requests: int
    paid: bool = False


def max_polls(options: VerifyOptions) -> int:
    """The most polls one task can get before the deadline, with the backoff schedule."""
    waited, polls, interval = 0.0, 0, options.poll_interval
    while waited < options.deadline and polls < 10_000:
        polls += 1
        waited += max(interval, 1.0 / options.rps)
        interval = min(interval * 1.5, options.max_poll_interval) if interval else 0.0
    return polls


def build_plan(options: VerifyOptions) -> list[PlannedStep]:
    """Every step the run takes, in order, free checks first."""
    steps = [
        PlannedStep("no key: 401 in the auth error shape", f"POST {COLLECTION} (no Authorization)", 1),
        PlannedStep("wrong key: 401 in the auth error shape", f"POST {COLLECTION} (a made-up key)", 1),
    ]
    steps += [PlannedStep(f"bad body: {b.rule}", f"POST {COLLECTION}", 1) for b in INVALID_BODIES]
    steps += [
        PlannedStep("unknown task id", f"GET {COLLECTION}/{UNKNOWN_TASK}", 1),
        PlannedStep("unknown path", f"GET {UNKNOWN_PATH}", 1),
        *(PlannedStep(what, request, 1) for what, request in videos_route.plan_steps()),
    ]
    polls = max_polls(options)
    examples = create_examples(options.creates, offpeak=options.offpeak)
    for n, example in enumerate(examples, start=1):
        model = example.body["model"]
        route = VIDEOS + " (a form)" if videos_route.uses_videos_route(n, len(examples)) else COLLECTION
        steps.append(PlannedStep(f"create #{n}: {example.mode} on {model}", f"POST {route}", 1, paid=True))
        steps.append(PlannedStep(f"poll #{n} until final", f"GET {COLLECTION}/{{task_id}}", polls, paid=True))
        steps.append(
            PlannedStep(f"poll #{n} on the other route, once final", f"GET {VIDEOS}/{{task_id}}", 1, paid=True)
        )
        steps.append(PlannedStep(f"video #{n} is an MP4", "GET video_url (without the key)", 1, paid=True))
    return steps


def render_plan(options: VerifyOptions) -> str:
    """The plan as text: one line per step, then the totals against the caps."""
    steps = build_plan(options)
    lines = [f"plan for {options.base_url} (dry run: nothing is sent)"]
    for step in steps:
        cost = "paid" if step.paid else "free"
        count = f"<= {step.requests}" if step.requests > 1 else "1"
        lines.append(f"  [{cost}] {step.what}: {step.request} x {count}")
    total = sum(s.requests for s in steps)
    seconds = math.ceil(sum(1 for s in steps if not s.paid) / options.rps)
    lines += [
        f"creates: {options.creates} (each may cost money; --creates 0 sends none)",
        f"requests: at most {min(total, options.max_requests)} (cap --max-requests {options.max_requests}; "
        f"retries of 429/503 count too); free checks take about {seconds} s at --rps {options.rps:g}",
        f"polling: first wait {options.poll_interval:g} s, x1.5 up to {options.max_poll_interval:g} s, "
        f"until a final state or --deadline {options.deadline:g} s",
        f"key: read from ${options.key_env}, sent only to the base URL's host",
    ]
    return "\n".join(lines)
