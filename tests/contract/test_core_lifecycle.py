"""The job state machine: time and step modes, outcomes, forced transitions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.contract.jobs.lifecycle import Outcome, Task, TransitionError

T0 = 1_000_000.0
ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}


def task(outcome: Outcome = "succeed", lifecycle: str = "time", queued: float = 2, running: float = 6) -> Task:
    made = Task("task_x", "owner", "viduq3p-540p", "text-to-video", T0, outcome, queued, running)
    made.lifecycle = "step" if lifecycle == "step" else "time"
    return made


def test_time_mode_walks_queued_running_completed() -> None:
    job = task()
    assert job.view(T0).status == "queued"
    assert job.view(T0 + 1.99).progress == 0
    running = job.view(T0 + 5)
    assert running.status == "in_progress" and 0 < running.progress < 100
    done = job.view(T0 + 8)
    assert (done.status, done.progress, done.completed_at) == ("completed", 100, int(T0 + 8))
    assert job.view(T0 + 1000) == done


def test_time_mode_fail_and_stall() -> None:
    failed = task("fail").view(T0 + 100)
    # rev 2: a final state, failed too, has completed_at (Unix seconds).
    assert (failed.status, failed.completed_at) == ("failed", int(T0 + 8))
    stalled = task("stall").view(T0 + 10_000)
    assert stalled.status == "in_progress" and stalled.progress < 100


@given(
    times=st.lists(st.floats(0, 30, allow_nan=False), min_size=2, max_size=20).map(sorted),
    outcome=st.sampled_from(["succeed", "fail", "stall"]),
    queued=st.floats(0, 5),
    running=st.floats(0, 10),
)
def test_status_and_progress_never_go_backwards(
    times: list[float], outcome: Outcome, queued: float, running: float
) -> None:
    job = task(outcome, queued=queued, running=running)
    views = [job.view(T0 + t) for t in times]
    for before, after in itertools.pairwise(views):
        assert ORDER[after.status] >= ORDER[before.status]
        assert after.progress >= before.progress
    for view in views:
        assert 0 <= view.progress <= 100
        assert (view.progress == 100) == (view.status == "completed")


@pytest.mark.parametrize(
    ("outcome", "statuses"),
    [
        ("succeed", ["in_progress", "completed", "completed"]),
        ("fail", ["in_progress", "failed", "failed"]),
        ("stall", ["in_progress", "in_progress", "in_progress"]),
    ],
)
def test_step_mode_advances_one_state_per_poll(outcome: Outcome, statuses: list[str]) -> None:
    job = task(outcome, lifecycle="step")
    assert job.view(T0).status == "queued"
    assert [job.poll(T0 + 1).status for _ in statuses] == statuses


def test_step_mode_completed_at_is_fixed_once_done() -> None:
    job = task(lifecycle="step")
    job.poll(T0)
    first = job.poll(T0 + 3)
    assert first.completed_at == int(T0 + 3)
    assert job.poll(T0 + 50).completed_at == int(T0 + 3)


def test_forced_transitions_move_forward_only() -> None:
    job = task()
    assert job.advance(T0).status == "in_progress"
    assert job.advance(T0).status == "completed"
    with pytest.raises(TransitionError):
        job.pin("queued", T0)
    with pytest.raises(TransitionError):
        job.pin("failed", T0)
    with pytest.raises(TransitionError):
        job.advance(T0)


def test_pin_failed_keeps_progress_and_fail_outcome_advances_to_failed() -> None:
    assert task().pin("failed", T0 + 5).status == "failed"
    job = task("fail")
    job.advance(T0)
    assert job.advance(T0).status == "failed"


def test_pinning_in_progress_holds_even_after_the_timings() -> None:
    job = task()
    job.pin("in_progress", T0)
    assert job.view(T0 + 1000).status == "in_progress"
