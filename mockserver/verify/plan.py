"""The plan of a run: which requests the checks send, what each may cost, printed by `--dry-run`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mockserver.contract.data.catalogue import COLLECTION, VIDEOS
from mockserver.verify.budget import Cost
from mockserver.verify.options import VerifyOptions
from mockserver.verify.probes import UNKNOWN_PATH, UNKNOWN_TASK, free_probes
from mockserver.verify.samples import create_examples
from mockserver.verify.videos_plan import uses_videos_route

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

_LABEL: dict[Cost, str] = {"free": "free", "risky": "risky", "create": "paid"}


@dataclass(frozen=True)
class PlannedStep:
    """One step of the plan: what is sent, how many requests at most, and what it may cost."""

    what: str
    request: str
    requests: int
    cost: Cost = "free"

    @property
    def paid(self) -> bool:
        return self.cost == "create"


def max_polls(options: VerifyOptions) -> int:
    """The most polls one task can get before the deadline, with the backoff schedule."""
    waited, polls, interval = 0.0, 0, options.poll_interval
    while waited < options.deadline and polls < 10_000:
        polls += 1
        waited += max(interval, 1.0 / options.rps)
        interval = min(interval * 1.5, options.max_poll_interval) if interval else 0.0
    return polls


def build_plan(options: VerifyOptions) -> list[PlannedStep]:
    """Every step the run takes, in order, free-tier probes first."""
    steps = [PlannedStep(p.name, p.request, 1, p.cost) for p in free_probes()]
    polls = max_polls(options)
    examples = create_examples(options.creates, offpeak=options.offpeak)
    for n, example in enumerate(examples, start=1):
        model = example.body["model"]
        route = f"{VIDEOS} (a form)" if uses_videos_route(n, len(examples)) else COLLECTION
        steps.append(PlannedStep(f"create #{n}: {example.mode} on {model}", f"POST {route}", 1, "create"))
        steps.append(PlannedStep(f"poll #{n} until final", f"GET {COLLECTION}/{{task_id}}", polls))
        steps.append(PlannedStep(f"poll #{n} on the other route, once final", f"GET {VIDEOS}/{{task_id}}", 1))
        steps.append(PlannedStep(f"video #{n} is an MP4", "GET video_url (without the key)", 1))
    return steps


def render_plan(options: VerifyOptions) -> str:
    """The plan as text: one line per step, then the most jobs it can cause and the totals against the caps."""
    steps = build_plan(options)
    lines = [f"plan for {options.base_url} (dry run: nothing is sent)"]
    risky = sum(1 for s in steps if s.cost == "risky")
    for step in steps:
        label = _LABEL[step.cost]
        if step.cost == "risky" and options.creates == 0:
            label += ", not sent"
        count = f"<= {step.requests}" if step.requests > 1 else "1"
        lines.append(f"  [{label}] {step.what}: {step.request} x {count}")
    sent = [s for s in steps if s.cost != "risky" or options.creates > 0]
    total = sum(s.requests for s in sent)
    seconds = math.ceil(sum(1 for s in sent if s.cost != "create" and s.requests == 1) / options.rps)
    if options.creates == 0:
        risky_line = f"the {risky} risky checks are not sent (each needs --creates 1 or more)"
    else:
        risky_line = "once a gateway accepts one, the other risky checks are skipped"
    lines += [
        f"jobs: at most {options.creates} (--creates {options.creates} caps every job the run can cause)",
        f"  paid: a create of a page example; risky: an invalid body naming a known model, one job if the "
        f"gateway accepts it (the budget left goes to the page examples); {risky_line}",
        f"requests: at most {min(total, options.max_requests)} (cap --max-requests {options.max_requests}; "
        f"retries of 429/503 count too); the probes take about {seconds} s at --rps {options.rps:g}",
        f"time: each request gets --timeout {options.timeout:g} s to answer (else its check is incomplete); "
        "after 3 unanswered requests in a row the run stops",
        f"polling: first wait {options.poll_interval:g} s, x1.5 up to {options.max_poll_interval:g} s, "
        f"until a final state or --deadline {options.deadline:g} s",
        f"key: read from ${options.key_env}, sent only to the base URL's host",
    ]
    if options.record is not None:
        lines.append(f"record: every exchange to {options.record}/, the key and cookies redacted")
    return "\n".join(lines)
