"""`Scenario`: a bounded script of what the fake does, its one-line story, and how it is played.

A scenario says, for each endpoint (`create`, `poll`, `content`), how the fake answers its
1st, 2nd, … request (`Step`: normal, a catalogue error, a network fault or a delay; after
the script, every request is answered normally), and how the 1st, 2nd, … created job ends
(`JobEnd`; later jobs complete after two polls), what the jobs' callbacks do wrong
(`CallbackStep`, Vidu's dialect), and optionally a per-token concurrency cap (new-api's 429
`token_concurrency_limit_reached` while a token has that many tasks in flight). Playing it
queues failure rules by position (`after=`), job plans and callback faults on a `MockControl`:
the same core mechanisms as `queue_failure`, `plan_job` and `plan_callback`, so the journal
shows each scripted answer (`injected="rule:503"`) and the delivery journal each faulted
callback; a cap is set with `set_token_concurrency` for the block.

    Scenario.parse("create: 503 then ok; poll: ok, reset then ok; job 1: fails generation_failed")
    Scenario.parse("job 1: success delivered twice")
    Scenario.parse("create: 429 then ok; cap: 1 per token")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from mockserver.contract.admin.control import MockControl
from mockserver.contract.callbacks.faults import CALLBACK_STATES
from mockserver.contract.data.catalogue import injectable_spec
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.injection.prefer import FAULTS, MAX_DELAY_MS, Fault
from mockserver.contract.jobs.lifecycle import DEFAULT_STEPS, FAILURE_CODE, Outcome
from mockserver.contract.jobs.plans import JobPlan
from pytest_plugin.callback_step import CallbackStep

__all__ = ["ENDPOINTS", "OK", "CallbackStep", "JobEnd", "Scenario", "ScriptedEndpoint", "Step", "playing"]

ScriptedEndpoint = Literal["create", "poll", "content"]
ENDPOINTS: tuple[ScriptedEndpoint, ...] = get_args(ScriptedEndpoint)
MAX_SCRIPT = 100  # steps per endpoint, and planned jobs: a script, not a load test
_DELAY = re.compile(r"^delay (\d+)ms$")
_COMPLETES = re.compile(r"^completes after (\d+) polls?$")
_FAILS = re.compile(rf"^fails {re.escape(FAILURE_CODE)}(?: after (\d+) polls?)?$")
_TIMES_OUT = re.compile(r"^times out(?: after (\d+) polls?)?$")
_CAP = re.compile(r"^(\d+) per token$")


@dataclass(frozen=True, slots=True)
class Step:
    """The answer to one request: normal (all fields empty), a catalogue `error`, a network `fault` or a delay."""

    error: str | None = None
    fault: Fault | None = None
    delay_ms: int = 0

    def __post_init__(self) -> None:
        if sum((self.error is not None, self.fault is not None, self.delay_ms != 0)) > 1:
            raise ValueError("a step is one of: an error, a fault or a delay")
        if self.error is not None:
            injectable_spec(self.error)  # a ValueError names what the catalogue cannot inject
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}, got {self.fault!r}")
        if (
            not isinstance(self.delay_ms, int)
            or isinstance(self.delay_ms, bool)
            or not 0 <= self.delay_ms <= MAX_DELAY_MS
        ):
            raise ValueError(f"delay_ms must be an integer from 0 to {MAX_DELAY_MS}")

    @classmethod
    def parse(cls, word: str) -> Step:
        """The step a story word names: `ok`, `503`, `insufficient_quota`, `reset`, `delay 20ms`."""
        word = word.strip()
        if word == "ok":
            return OK
        if word in FAULTS:
            return cls(fault=word)
        delay = _DELAY.match(word)
        if delay:
            return cls(delay_ms=int(delay.group(1)))
        return cls(error=word)

    @property
    def ok(self) -> bool:
        """Whether this step answers normally."""
        return self.error is None and self.fault is None and not self.delay_ms

    def rule(self, endpoint: ScriptedEndpoint, *, times: int = 1, after: int = 0) -> FailureRule:
        """The failure rule that plays this step on `endpoint` (a normal step has none)."""
        if self.ok:
            raise ValueError("a normal step needs no rule")
        return FailureRule(self.error, times, None, None, endpoint, self.fault, self.delay_ms, after)

    def __str__(self) -> str:
        if self.error is not None:
            return self.error
        if self.fault is not None:
            return self.fault
        return f"delay {self.delay_ms}ms" if self.delay_ms else "ok"

    def __repr__(self) -> str:
        return f"Step.parse({str(self)!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis' reports print this, not the dataclass fields


OK = Step()


@dataclass(frozen=True, slots=True)
class JobEnd:
    """How one created job ends: `succeed`, `fail` (with the catalogue's failure code) or `stall`.

    Under the step lifecycle (the fixtures' default) the `polls`-th poll shows the final state.
    """

    outcome: Outcome = "succeed"
    polls: int = DEFAULT_STEPS

    def __post_init__(self) -> None:
        JobPlan(self.outcome, self.polls)  # the core's checks, one wording
        if self.outcome == "stall" and self.polls != DEFAULT_STEPS:
            object.__setattr__(self, "polls", DEFAULT_STEPS)  # a stalled job never finishes: one way to say it

    @classmethod
    def parse(cls, text: str) -> JobEnd:
        """The end a story names: `completes after 3 polls`, `fails generation_failed`, `stalls`."""
        text = text.strip()
        if text == "stalls":
            return cls("stall")
        completes = _COMPLETES.match(text)
        if completes:
            return cls("succeed", int(completes.group(1)))
        fails = _FAILS.match(text)
        if fails:
            return cls("fail", int(fails.group(1) or DEFAULT_STEPS))
        times_out = _TIMES_OUT.match(text)
        if times_out:  # new-api's timeout sweep: failed with its reason
            return cls("timeout", int(times_out.group(1) or DEFAULT_STEPS))
        raise ValueError(
            f"not a job end: {text[:80]!r}; say 'completes after N polls', 'fails {FAILURE_CODE}', 'times out' "
            "or 'stalls'"
        )

    @property
    def normal(self) -> bool:
        """Whether this is what an unplanned job does (completes after the default polls)."""
        return self.outcome == "succeed" and self.polls == DEFAULT_STEPS

    def plan(self) -> JobPlan:
        """The core job plan for this end."""
        return JobPlan(self.outcome, self.polls)

    def __str__(self) -> str:
        after = f"after {self.polls} poll{'s' if self.polls != 1 else ''}"
        if self.outcome == "stall":
            return "stalls"
        if self.outcome == "fail":
            return f"fails {FAILURE_CODE}" + ("" if self.polls == DEFAULT_STEPS else f" {after}")
        if self.outcome == "timeout":
            return "times out" + ("" if self.polls == DEFAULT_STEPS else f" {after}")
        return f"completes {after}"

    def __repr__(self) -> str:
        return f"JobEnd.parse({str(self)!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis' reports print this, not the dataclass fields


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    steps = tuple(value)
    if not all(isinstance(s, Step) for s in steps):
        raise TypeError("a script holds Step values")
    if len(steps) > MAX_SCRIPT:
        raise ValueError(f"a script holds at most {MAX_SCRIPT} steps")
    while steps and steps[-1].ok:
        steps = steps[:-1]  # after the script everything is normal anyway: one way to say it
    return steps


@dataclass(frozen=True)
class Scenario:
    """The script for each endpoint's 1st, 2nd, … request, the ends of the 1st, 2nd, … created job,
    and the tasks one token may have in flight (`token_concurrency`; 0, the normal: no cap).

    Equal scenarios play the same: trailing normal steps and jobs are dropped when built.
    """

    create: tuple[Step, ...] = ()
    poll: tuple[Step, ...] = ()
    content: tuple[Step, ...] = ()
    jobs: tuple[JobEnd, ...] = field(default=())
    callbacks: tuple[CallbackStep, ...] = field(default=())
    token_concurrency: int = 0

    def __post_init__(self) -> None:
        for endpoint in ENDPOINTS:
            object.__setattr__(self, endpoint, _steps(getattr(self, endpoint)))
        jobs = tuple(self.jobs)
        if not all(isinstance(j, JobEnd) for j in jobs):
            raise TypeError("jobs holds JobEnd values")
        if len(jobs) > MAX_SCRIPT:
            raise ValueError(f"at most {MAX_SCRIPT} jobs may be planned")
        while jobs and jobs[-1].normal:
            jobs = jobs[:-1]
        object.__setattr__(self, "jobs", jobs)
        cap = self.token_concurrency
        if not isinstance(cap, int) or isinstance(cap, bool) or not 0 <= cap <= MAX_SCRIPT:
            raise ValueError(f"token_concurrency must be an integer from 0 (no cap) to {MAX_SCRIPT}")
        callbacks = tuple(self.callbacks)
        if not all(isinstance(c, CallbackStep) for c in callbacks):
            raise TypeError("callbacks holds CallbackStep values")
        if len(callbacks) > MAX_SCRIPT:
            raise ValueError(f"at most {MAX_SCRIPT} callback steps may be planned")
        # Told job by job, in the order given: equal scenarios tell the same story.
        object.__setattr__(self, "callbacks", tuple(sorted(callbacks, key=lambda c: c.job)))

    def script(self, endpoint: ScriptedEndpoint) -> tuple[Step, ...]:
        """The steps for `endpoint`'s requests, first request first."""
        steps: tuple[Step, ...] = getattr(self, endpoint)
        return steps

    @property
    def misbehaving(self) -> int:
        """How many requests the script answers other than normally."""
        return sum(not step.ok for endpoint in ENDPOINTS for step in self.script(endpoint))

    @property
    def normal(self) -> bool:
        """Whether nothing is scripted: every request normal, every job completes after the default polls,
        every callback delivered once, signed, in order, and no cap."""
        return not self.misbehaving and not self.jobs and not self.callbacks and not self.token_concurrency

    def rules(self) -> list[FailureRule]:
        """The failure rules that play the scripts: a run of normal steps becomes the next rule's `after`."""
        rules: list[FailureRule] = []
        for endpoint in ENDPOINTS:
            waiting = 0
            last: tuple[Step, FailureRule] | None = None
            for step in self.script(endpoint):
                if step.ok:
                    waiting, last = waiting + 1, None
                elif last is not None and last[0] == step:
                    last[1].times += 1  # the same answer again: one rule, fired twice
                else:
                    last = (step, step.rule(endpoint, after=waiting))
                    rules.append(last[1])
                    waiting = 0
        return rules

    def plans(self) -> list[JobPlan]:
        """The job plans for the first jobs created."""
        return [end.plan() for end in self.jobs]

    def apply(self, control: MockControl) -> None:
        """Queue this scenario's rules and plans on `control` behind whatever is queued already; set its cap."""
        if control.engine.settings.lifecycle != "step" and any(end.polls != DEFAULT_STEPS for end in self.jobs):
            raise ValueError("a job's poll count needs the step lifecycle (lifecycle='step', the fixtures' default)")
        for rule in self.rules():
            control.engine.state.add_failure(rule)
        for plan in self.plans():
            control.engine.state.add_job_plan(plan)
        if self.token_concurrency:
            control.set_token_concurrency(self.token_concurrency)
        for step in self.callbacks:
            control.engine.callbacks.plan(step.rule(), step.job)

    @classmethod
    def parse(cls, story: str) -> Scenario:
        """The scenario a story tells, as `repr` writes it (with or without the `Scenario(...)` around it)."""
        text = story.strip()
        if text.startswith("Scenario(") and text.endswith(")"):
            text = text[len("Scenario(") : -1]
        scripts: dict[str, tuple[Step, ...]] = {}
        jobs: dict[int, JobEnd] = {}
        cap = 0
        callbacks: list[CallbackStep] = []
        for part in filter(None, (p.strip() for p in text.split(";"))):
            if part == "all ok":
                continue
            head, colon, tail = part.partition(":")
            head = head.strip()
            if not colon:
                raise ValueError(f"not a scenario part: {part[:80]!r}")
            if head in ENDPOINTS:
                words, then, rest = tail.rpartition(" then ")
                if not then or rest.strip() != "ok":
                    raise ValueError(f"a script ends with 'then ok': {part[:80]!r}")
                scripts[head] = tuple(Step.parse(w) for w in words.split(","))
            elif re.fullmatch(r"job \d+", head):
                number = int(head.split()[1])
                if tail.split(maxsplit=1)[:1] and tail.split()[0] in CALLBACK_STATES:
                    callbacks.append(CallbackStep.parse(number, tail))  # "job 1: success delivered twice"
                else:
                    jobs[number] = JobEnd.parse(tail)
            elif head == "cap":
                per_token = _CAP.match(tail.strip())
                if per_token is None:
                    raise ValueError(f"not a cap: {tail.strip()[:80]!r}; say 'cap: N per token'")
                cap = int(per_token.group(1))
            else:
                raise ValueError(
                    f"unknown part {head[:40]!r}; expected one of {', '.join(ENDPOINTS)}, 'job N' or 'cap'"
                )
        if jobs and (min(jobs) < 1 or max(jobs) > MAX_SCRIPT):
            raise ValueError(f"jobs are numbered from 1 to {MAX_SCRIPT}")
        ends = tuple(jobs.get(n, JobEnd()) for n in range(1, max(jobs, default=0) + 1))
        return cls(
            scripts.get("create", ()),
            scripts.get("poll", ()),
            scripts.get("content", ()),
            ends,
            tuple(callbacks),
            token_concurrency=cap,
        )

    def story(self) -> str:
        """One line: `create: 503 then ok; poll: ok, reset then ok; job 1: fails generation_failed`."""
        parts = [
            f"{endpoint}: {', '.join(map(str, self.script(endpoint)))} then ok"
            for endpoint in ENDPOINTS
            if self.script(endpoint)
        ]
        parts += [f"job {n}: {end}" for n, end in enumerate(self.jobs, 1)]
        parts += [str(step) for step in self.callbacks]
        parts += [f"cap: {self.token_concurrency} per token"] if self.token_concurrency else []
        return "; ".join(parts) or "all ok"

    def __repr__(self) -> str:
        return f"Scenario({self.story()})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # Hypothesis' reports print this, not the dataclass fields


@contextmanager
def playing(control: MockControl, scenario: Scenario) -> Iterator[Scenario]:
    """Reset the fake (`control.reset()`), queue `scenario`, and drop what is left of it on exit.

    A scenario's cap holds for the block; the cap set before it is back afterwards.

    Tasks and the journal outlive the block, for inspection. An exception leaving the block
    gets a note naming the scenario.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"play() takes a Scenario, got {type(scenario).__name__}")
    control.reset()
    cap_before = control.token_concurrency
    scenario.apply(control)
    try:
        yield scenario
    except Exception as error:
        error.add_note(f"while playing {scenario!r}")  # the story in any report, whatever prints the arguments
        raise
    finally:
        control.engine.state.clear_failures()
        control.engine.state.clear_job_plans()
        control.engine.callbacks.clear_plans()
        control.engine.callbacks.rules.clear()
        if scenario.token_concurrency:
            control.set_token_concurrency(cap_before)
