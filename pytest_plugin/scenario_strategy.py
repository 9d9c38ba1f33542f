"""`scenarios()`: a Hypothesis strategy of `Scenario` values that shrinks toward "everything normal".

Every choice is drawn so that its simplest value is the normal one: each step is `one_of`
with `ok` first, each script and job list shrinks toward empty (which is all normal), and a
job's poll count toward the default, a concurrency cap toward none. A failing client's
counterexample is therefore the shortest, plainest script that still breaks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract.callbacks.faults import CALLBACK_FAULTS, CALLBACK_STATES, CallbackFault
from mockserver.contract.data.catalogue import injectable_spec
from mockserver.contract.injection.prefer import FAULTS, MAX_DELAY_MS
from mockserver.contract.jobs.lifecycle import DEFAULT_STEPS, MAX_STEPS, Outcome
from pytest_plugin.callback_step import CallbackStep
from pytest_plugin.scenario import ENDPOINTS, MAX_SCRIPT, OK, JobEnd, Scenario, ScriptedEndpoint, Step

__all__ = [
    "DEFAULT_ERRORS",
    "DEFAULT_MAX_TOKEN_CONCURRENCY",
    "OUTCOMES",
    "callback_steps",
    "job_ends",
    "scenarios",
    "steps",
]

# The errors a client of a job API meets in the wild: rate limits, quota, and the 5xx family.
DEFAULT_ERRORS: tuple[str, ...] = ("429", "500", "502", "503", "504", "insufficient_quota")
# Story words for how a job ends, with the core's names accepted too.
OUTCOMES: dict[str, Outcome] = {
    "completes": "succeed",
    "fails": "fail",
    "stalls": "stall",
    "succeed": "succeed",
    "fail": "fail",
    "stall": "stall",
    "times out": "timeout",
    "timeout": "timeout",
}
#: The highest per-token cap `scenarios()` draws unless told otherwise: small, so it bites a client with a few jobs.
DEFAULT_MAX_TOKEN_CONCURRENCY = 2


def _names(argument: str, value: Any) -> tuple[str, ...]:
    """A bare string is one name; anything else must be an iterable of names."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return (str(value),)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise InvalidArgument(f"{argument} must be a name or an iterable of names, got {value!r}") from None


def _bounded(argument: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{argument} must be an integer from {low} to {high}, got {value!r}")
    return value


def _one_of_each(argument: str, given: tuple[str, ...], known: Iterable[str]) -> tuple[str, ...]:
    allowed = tuple(known)
    for name in given:
        if name not in allowed:
            raise InvalidArgument(f"{argument}: unknown {name!r}; choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(given))


def steps(
    *,
    errors: Iterable[str | int] | str | int = DEFAULT_ERRORS,
    faults: Iterable[str] | str = FAULTS,
    max_delay_ms: int = 50,
) -> st.SearchStrategy[Step]:
    """One request's answer: `ok` (the simplest), else an error, a fault or a delay of 1..`max_delay_ms`."""
    error_names = _names("errors", errors)
    for name in error_names:
        try:
            injectable_spec(name)
        except ValueError as exc:
            raise InvalidArgument(f"errors: {exc}") from None
    fault_names = _one_of_each("faults", _names("faults", faults), FAULTS)
    delay_limit = _bounded("max_delay_ms", max_delay_ms, 0, MAX_DELAY_MS)
    # One choice among ok, the errors and the faults (ok first, so the simplest): cheaper to
    # draw than a choice of kind and then of value, and it shrinks the same way.
    fixed = [OK, *(Step(error=e) for e in dict.fromkeys(error_names))]
    fixed += [Step(fault=f) for f in fault_names]  # type: ignore[arg-type]
    branches: list[st.SearchStrategy[Step]] = [st.sampled_from(fixed)]
    if delay_limit:
        branches.append(st.integers(1, delay_limit).map(lambda ms: Step(delay_ms=ms)))
    return st.one_of(branches)


def job_ends(
    *, outcomes: Iterable[str] | str = ("completes", "fails", "stalls"), max_polls: int = 4
) -> st.SearchStrategy[JobEnd]:
    """How one job ends, among `outcomes`; a poll count from 1 to `max_polls`, the default first."""
    chosen = [OUTCOMES[o] for o in _one_of_each("outcomes", _names("outcomes", outcomes), OUTCOMES)]
    if not chosen:
        raise InvalidArgument("outcomes must name at least one of completes, fails, stalls")
    limit = _bounded("max_polls", max_polls, 1, MAX_STEPS)
    polls = sorted(range(1, limit + 1), key=lambda n: (n != DEFAULT_STEPS, n))
    ends: list[JobEnd] = []
    for outcome in ("succeed", "fail", "stall", "timeout"):
        if outcome in chosen:
            ends += [JobEnd("stall")] if outcome == "stall" else [JobEnd(outcome, n) for n in polls]
    # One choice among them all, simplest first: a shorter draw would otherwise count as simpler.
    return st.sampled_from(ends)


def callback_steps(
    *, faults: Iterable[str] | str = CALLBACK_FAULTS, max_job: int = 1, max_delay_ms: int = 10_000
) -> st.SearchStrategy[CallbackStep]:
    """One thing a job's callbacks do wrong: a fault among `faults` on a state's delivery of job 1..`max_job`.

    Simplest first: job 1, `success`, the first fault named (a `delay` of 1 s or less shrinks toward 1 ms).
    """
    chosen = _one_of_each("faults", _names("faults", faults), CALLBACK_FAULTS)
    if not chosen:
        raise InvalidArgument(f"faults must name at least one of {', '.join(CALLBACK_FAULTS)}")
    jobs = st.integers(1, _bounded("max_job", max_job, 1, MAX_SCRIPT))
    delays = st.integers(1, _bounded("max_delay_ms", max_delay_ms, 1, 3_600_000))
    states = sorted(CALLBACK_STATES, key=lambda state: state != "success")  # success first: the one clients wait for

    def step(job: int, fault: CallbackFault, state: str, delay_ms: int) -> CallbackStep:
        if fault == "out_of_order":
            state = "processing"  # the late one is always processing
        return CallbackStep(job, state, fault, delay_ms if fault == "delay" else 0)  # type: ignore[arg-type]

    return st.builds(step, jobs, st.sampled_from(chosen), st.sampled_from(states), delays)


def _room(create: tuple[Step, ...]) -> int:
    """The jobs a create script may leave that the client never heard of: a fault acts on the answer after
    the job was made, and a delayed answer may come after the client gave up.

    Such a job holds a slot of its token's cap until it ends, and under the step lifecycle (the
    fixtures') only polls move a job: nobody polls one whose id never arrived, so it would hold
    its slot for good and no client could finish. A drawn cap counts them out; a story can still
    say `create: reset then ok; cap: 1 per token` to try exactly that.
    """
    return sum(step.fault is not None or step.delay_ms > 0 for step in create)


def scenarios(
    *,
    endpoints: Iterable[str] | str = ENDPOINTS,
    errors: Iterable[str | int] | str | int = DEFAULT_ERRORS,
    faults: Iterable[str] | str = FAULTS,
    max_delay_ms: int = 50,
    outcomes: Iterable[str] | str = ("completes", "fails", "stalls"),
    max_steps: int = 3,
    max_jobs: int = 2,
    max_polls: int = 4,
    callback_faults: Iterable[str] | str = (),
    max_callback_steps: int = 0,
    max_token_concurrency: int = DEFAULT_MAX_TOKEN_CONCURRENCY,
) -> st.SearchStrategy[Scenario]:
    """Scenarios for a client of the job API, narrowed by the keyword arguments.

    - `endpoints`: which of `create`, `poll`, `content` may misbehave.
    - `errors`: catalogue errors to inject (statuses or codes); `faults`: of `reset`, `empty`,
      `malformed`, `timeout`; `max_delay_ms`: the longest delay (0: no delays).
    - `max_steps`: at most this many misbehaving requests in all (0: only job ends vary).
    - `outcomes`: of `completes`, `fails`, `stalls`, for each of the first `max_jobs` jobs, with
      `max_polls` the most polls a job may take (without `completes`, every one of those
      jobs ends another way; jobs after them complete after two polls).
    - `max_token_concurrency`: a per-token concurrency cap from 1 to this (2 by default) is drawn
      too, or none (the simplest; 0: never a cap). Under a cap a create gets new-api's 429
      `token_concurrency_limit_reached` while the token has that many tasks in flight. The cap
      drawn leaves room for the jobs the create script's faults and delays leave behind, so a
      client that tracks one job at a time never meets it (docs/scenarios.md).

    Bad arguments raise `hypothesis.errors.InvalidArgument` here, not at the first draw.
    """
    scripted = _one_of_each("endpoints", _names("endpoints", endpoints), ENDPOINTS)
    step = steps(errors=errors, faults=faults, max_delay_ms=max_delay_ms)
    end = job_ends(outcomes=outcomes, max_polls=max_polls)
    budget = _bounded("max_steps", max_steps, 0, MAX_SCRIPT // 2)
    jobs_limit = _bounded("max_jobs", max_jobs, 0, MAX_SCRIPT)
    # Half the scenario's bound: the room added for lost jobs (at most `max_steps`) fits the rest.
    cap_limit = _bounded("max_token_concurrency", max_token_concurrency, 0, MAX_SCRIPT // 2)
    caps = st.integers(0, cap_limit)  # 0 (no cap) first: it shrinks there
    completes = "succeed" in {OUTCOMES[o] for o in _names("outcomes", outcomes)}
    # A script can hold normal steps between misbehaving ones: twice what is left of the
    # budget is room enough, and nothing is drawn once it is spent (fewer draws, faster).
    scripts = [st.lists(step, max_size=2 * left) for left in range(budget + 1)]
    ends = st.lists(end, max_size=jobs_limit) if completes else st.lists(end, min_size=jobs_limit, max_size=jobs_limit)
    callback_limit = _bounded("max_callback_steps", max_callback_steps, 0, MAX_SCRIPT)
    callback_names = _names("callback_faults", callback_faults)
    if callback_limit and not callback_names:
        raise InvalidArgument("max_callback_steps needs callback_faults to choose from")
    calls = (
        st.lists(callback_steps(faults=callback_names, max_job=max(jobs_limit, 1)), max_size=callback_limit)
        if callback_limit
        else st.just([])
    )

    @st.composite
    def draw_scenario(draw: st.DrawFn) -> Scenario:
        left = budget
        drawn: dict[ScriptedEndpoint, list[Step]] = {}
        # Drawn last to first: among scripts equally short, Hypothesis then prefers the earliest endpoint's.
        for endpoint in reversed(ENDPOINTS):
            if endpoint not in scripted:
                continue
            kept: list[Step] = []
            for one in draw(scripts[left]) if left else ():
                if not one.ok:
                    if not left:
                        break  # the budget is spent: the rest of this script is normal
                    left -= 1
                kept.append(one)
            drawn[endpoint] = kept
        create = tuple(drawn.get("create", ()))
        cap = draw(caps) if cap_limit else 0
        return Scenario(
            create,
            tuple(drawn.get("poll", ())),
            tuple(drawn.get("content", ())),
            tuple(draw(ends)),
            tuple(draw(calls)),
            token_concurrency=cap + _room(create) if cap else 0,
        )

    return draw_scenario()
