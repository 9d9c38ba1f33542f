"""`RedisState` against a real redis-server: the semantics many workers rely on, checked directly.

Two `RedisState`s with their own connections stand for two processes; threads hammer them
at once where atomicity matters.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
import redis
from redis.crc import key_slot

from mockserver.contract import ContractEngine, Incoming, ManualClock, MockControl, Mode, Outgoing, Settings
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.jobs.lifecycle import JobView, Outcome, Task
from mockserver.contract.jobs.plans import JobPlan
from mockserver.contract.state.protocol import Created, JournalFields, StateUnavailable, Turn
from mockserver.state.redis_state import KEY_TTL_SECONDS, MAX_PROMPT_CHARS, RedisState, redacted_url
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.slow

MODEL = "viduq3p-720p"
MODE: Mode = "text-to-video"
Pair = tuple[RedisState, RedisState]


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def pair(redis_server: RedisServer, prefix: str) -> Iterator[Pair]:
    """Two states on one Redis and prefix, as two worker processes would have."""
    first = RedisState.from_url(redis_server.url, prefix=prefix, max_journal=1000)
    second = RedisState.from_url(redis_server.url, prefix=prefix, max_journal=1000)
    yield first, second
    first.client.close()
    second.client.close()


def _fields(path: str, status: int = 200) -> JournalFields:
    headers = {"authorization": "Bearer sk-secret", "content-type": "application/json"}
    return ("POST", path, headers, {"n": path}, status, "create", None, MODEL, MODE, None, 1.5, None)


def _task(outcome: Outcome = "succeed") -> Task:
    return Task(f"task_{uuid.uuid4().hex}", "0" * 12, MODEL, MODE, 1_000.0, outcome, 0.0, 0.0, lifecycle="step")


def _taken(state: RedisState) -> str | None:
    rule = state.begin("create", MODEL, MODE, state.epoch).rule
    return None if rule is None else rule.error


def test_failure_rules_are_used_up_exactly_once_under_concurrent_workers(pair: Pair) -> None:
    first, second = pair
    first.add_failure(FailureRule("503", times=7))
    second.add_failure(FailureRule("429", times=5))
    barrier = threading.Barrier(8)

    def worker(index: int) -> list[str | None]:
        state = pair[index % 2]
        barrier.wait()
        return [_taken(state) for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        taken = Counter(error for batch in pool.map(worker, range(8)) for error in batch)
    assert taken == Counter({"503": 7, "429": 5, None: 80 - 12})
    assert first.pending_failures() == second.pending_failures() == []


def test_failure_rules_fire_in_queue_order_whichever_worker_asks(pair: Pair) -> None:
    first, second = pair
    first.add_failure(FailureRule("503", times=2))
    second.add_failure(FailureRule("429", times=1))
    first.add_failure(FailureRule("500", times=1, model="viduq3t-720p"))  # never matches MODEL
    assert [_taken(pair[i % 2]) for i in range(5)] == ["503", "503", "429", None, None]
    assert [rule.to_json() for rule in second.pending_failures()] == [
        FailureRule("500", model="viduq3t-720p").to_json()
    ]
    # Partly used rules show what is left, to every worker.
    first.clear_failures()
    first.add_failure(FailureRule("503", times=3, endpoint="any"))
    assert second.begin("poll", MODEL, MODE, second.epoch).rule == FailureRule("503", times=3, endpoint="any")
    assert [rule.times for rule in first.pending_failures()] == [2]


def test_the_journal_is_complete_ordered_and_capped(redis_server: RedisServer, prefix: str) -> None:
    states = [RedisState.from_url(redis_server.url, prefix=prefix, max_journal=5) for _ in range(2)]
    clock = ManualClock(5_000.0)
    for number in range(8):
        states[number % 2].record(clock.now() + number, _fields(f"/p{number}"))
    entries = states[1].journal()
    assert [(entry.seq, entry.path, entry.time) for entry in entries] == [
        (seq, f"/p{seq - 1}", 5_000.0 + seq - 1) for seq in range(4, 9)
    ]
    assert entries[0].headers == {"authorization": "Bearer [redacted]", "content-type": "application/json"}
    assert entries[0].body == {"n": "/p3"} and entries[0].model == MODEL and entries[0].status == 200
    states[0].clear_journal()
    states[1].record(1.0, _fields("/again"))
    assert [(entry.seq, entry.path) for entry in states[0].journal()] == [(1, "/again")]


def test_concurrent_journal_writes_are_numbered_without_gaps(pair: Pair) -> None:
    def worker(index: int) -> None:
        for number in range(25):
            pair[index % 2].record(1.0, _fields(f"/w{index}/{number}"))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, range(4)))
    entries = pair[0].journal()
    assert [entry.seq for entry in entries] == list(range(1, 101))
    assert len({entry.path for entry in entries}) == 100
    for index in range(4):  # each writer's own entries keep its order
        mine = [entry.path for entry in entries if entry.path.startswith(f"/w{index}/")]
        assert mine == [f"/w{index}/{number}" for number in range(25)]


def _poll_from(state: RedisState, task_id: str, outcome: Outcome, barrier: threading.Barrier) -> JobView:
    task = _task(outcome)
    task.id = task_id
    state.begin("poll", MODEL, MODE, state.epoch, task)
    barrier.wait()
    return state.change_task(task, lambda t: t.poll(2_000.0))


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_a_step_task_moves_once_per_poll_whichever_worker_answers(pair: Pair, outcome: Outcome) -> None:
    for _ in range(10):
        task_id = _task().id
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            views = list(pool.map(_poll_from, pair, [task_id] * 2, [outcome] * 2, [barrier] * 2))
        final = "completed" if outcome == "succeed" else "failed"
        assert sorted(view.status for view in views) == sorted(["in_progress", final])
        later = _task(outcome)
        later.id = task_id
        pair[0].load_task(later)
        assert (later.polls, later.revision, later.view(3_000.0).status) == (2, 2, final)


def test_forced_states_are_shared_and_stay_forward_only(pair: Pair) -> None:
    first, second = pair
    task = _task()
    first.change_task(task, lambda t: t.pin("in_progress", 1_000.0))
    seen = _task()
    seen.id = task.id
    second.begin("poll", MODEL, MODE, second.epoch, seen)
    assert seen.view(1_000.0) == JobView("in_progress", 1)
    second.change_task(seen, lambda t: t.pin("completed", 1_234.0))
    stale = _task()
    stale.id = task.id
    first.load_task(stale)
    assert stale.view(9_999.0) == JobView("completed", 100, 1_234)
    with pytest.raises(ValueError, match="already completed"):
        first.change_task(stale, lambda t: t.pin("failed", 2_000.0))


def test_a_change_made_on_a_stale_read_is_redone_on_the_current_record(pair: Pair) -> None:
    first, second = pair
    task_id = _task().id
    old, new = _task(), _task()
    old.id = new.id = task_id
    first.load_task(old)
    second.change_task(new, lambda t: t.poll(1.0))  # queued -> in_progress elsewhere
    assert first.change_task(old, lambda t: t.poll(2.0)).status == "completed"  # moved on from in_progress
    assert old.polls == 2


def test_clock_moves_and_resets_reach_every_worker(pair: Pair) -> None:
    first, second = pair
    clock = ManualClock()
    first.advance_clock(clock, 90.5)
    assert second.begin("create", MODEL, MODE, second.epoch).clock_offset == 90.5
    assert second.refresh() == (0, 90.5)
    second.add_failure(FailureRule("503"))
    second.record(1.0, _fields("/before"))
    first.reset(clock)
    # A worker still on the old epoch uses nothing up and learns the new one.
    turn = second.begin("create", MODEL, MODE, 0)
    assert (turn.epoch, turn.clock_offset, turn.rule) == (1, 0.0, None)
    assert second.epoch == 1 and second.pending_failures() == [] and second.journal() == []
    with pytest.raises(ValueError, match="forward"):
        first.advance_clock(clock, -1)


def test_every_key_lives_under_the_prefix_and_expires(pair: Pair, redis_server: RedisServer, prefix: str) -> None:
    first, second = pair
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    tag = "{" + prefix + "}"  # one hash tag: every key of the mock in one cluster slot
    before = {key for key in client.scan_iter() if not key.startswith(tag.encode())}
    first.advance_clock(ManualClock(), 1)
    first.add_job_plan(JobPlan("fail", 3))
    first.add_failure(FailureRule("503", times=2))
    second.begin("create", MODEL, MODE, second.epoch)
    first.record(1.0, _fields("/x"))
    first.change_task(_task(), lambda t: t.poll(1.0))
    second.reset(ManualClock())
    second.record(1.0, _fields("/y"))
    second.add_failure(FailureRule("429"))
    second.change_task(_task(), lambda t: t.poll(1.0))
    second.add_job_plan(JobPlan("stall"))
    second.add_job_plan(JobPlan("succeed", 1))
    second.record(1.0, _fields("/create"), Created(_task().id, "a prompt", False))
    mine = list(client.scan_iter(match=tag + "*"))
    assert {key.decode()[len(tag) :].split(":")[0] for key in mine} == {
        "epoch",
        "journal",
        "journal-seq",
        "failures",
        "jobs",
        "tasks",
        "task",
    }
    for key in mine:
        assert 0 < client.ttl(key) <= KEY_TTL_SECONDS, key
    assert len({key_slot(key) for key in mine}) == 1
    assert {key for key in client.scan_iter() if not key.startswith(tag.encode())} == before
    client.close()


@pytest.mark.parametrize("scheme", ["redis", "redis+cluster", "rediss+cluster"])
def test_an_unreachable_redis_is_state_unavailable_for_every_operation(scheme: str) -> None:
    from tests.support.redis_server import free_port

    state = RedisState.from_url(f"{scheme}://127.0.0.1:{free_port()}")  # nothing connects until used
    calls: list[Callable[[], object]] = [
        state.refresh,
        lambda: state.begin("create", MODEL, MODE, 0),
        lambda: state.record(1.0, _fields("/x")),
        state.journal,
        state.clear_journal,
        lambda: state.add_failure(FailureRule("503")),
        state.pending_failures,
        state.clear_failures,
        lambda: state.advance_clock(ManualClock(), 1),
        lambda: state.reset(ManualClock()),
        lambda: state.load_task(_task()),
        lambda: state.change_task(_task(), lambda t: t.poll(1.0)),
    ]
    for call in calls:
        with pytest.raises(StateUnavailable) as raised:
            call()
        assert (raised.value.status, raised.value.code, raised.value.retry_after) == (503, "state_unavailable", True)


def test_passwords_never_show_in_a_redacted_url() -> None:
    assert redacted_url("redis://:hunter2@10.0.0.5:6380/2") == "redis://:[redacted]@10.0.0.5:6380/2"
    assert redacted_url("redis://user:pw@[::1]/0") == "redis://user:[redacted]@[::1]/0"
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_a_commit_journals_only_while_its_guess_holds_and_no_rule_matches(pair: Pair) -> None:
    first, second = pair
    create = ("create", MODEL, MODE, "/v1/video/generations")
    assert first.commit(first.guess() or _no_guess(), create, 1.0, _fields("/fast"))
    second.add_failure(FailureRule("503", model="viduq3t-720p"))  # matches another model only
    assert first.commit(first.guess() or _no_guess(), create, 1.0, _fields("/other-rule"))
    second.add_failure(FailureRule("429"))
    assert not first.commit(first.guess() or _no_guess(), create, 1.0, _fields("/matching-rule"))
    assert [rule.error for rule in second.pending_failures()] == ["503", "429"]  # nothing used up
    assert first.commit(first.guess() or _no_guess(), None, 1.0, _fields("/no-rules-asked"))
    second.clear_failures()
    second.advance_clock(ManualClock(), 30)
    stale = first.guess() or _no_guess()
    assert not first.commit(stale, create, 1.0, _fields("/stale-offset"))
    assert first.guess() == replace(stale, clock_offset=30.0)  # learned from the refusal
    second.reset(ManualClock())
    assert not first.commit(first.guess() or _no_guess(), create, 1.0, _fields("/stale-epoch"))
    assert first.commit(first.guess() or _no_guess(), create, 1.0, _fields("/fresh"))
    assert [(entry.seq, entry.path) for entry in second.journal()] == [(1, "/fresh")]


def _no_guess() -> Turn:
    raise AssertionError("a shared state always has a guess")


def test_engines_on_one_redis_answer_as_one_mock(pair: Pair) -> None:
    clock = ManualClock(1_800_000_000.0)
    first, second = (ContractEngine(Settings(lifecycle="step"), clock, state=state) for state in pair)
    auth = {"authorization": "Bearer sk-two", "content-type": "application/json"}

    def create(engine: ContractEngine) -> Outgoing:
        body = json.dumps({"model": MODEL, "prompt": "a fox"}).encode()
        return engine.handle(Incoming("POST", "/v1/video/generations", auth, body))

    MockControl(first).advance_clock(100)
    job = create(second).json()
    assert job["created_at"] == 1_800_000_100  # the clock move reached the other engine's first request
    MockControl(second).queue_failure("503")
    assert [create(engine).status for engine in (first, second, first)] == [503, 200, 200]
    poll = Incoming("GET", f"/v1/video/generations/{job['id']}", auth)
    assert [first.handle(poll).json()["status"], second.handle(poll).json()["status"]] == ["in_progress", "completed"]
    assert [entry.status for entry in MockControl(first).journal] == [200, 503, 200, 200, 200, 200]


def _engines(pair: Pair, **settings: Any) -> tuple[ContractEngine, ContractEngine]:
    clock = ManualClock(1_800_000_000.0)
    first, second = (ContractEngine(Settings(**settings), clock, state=state) for state in pair)
    return first, second


def _create(engine: ContractEngine, prompt: str = "a fox", **headers: str) -> Outgoing:
    auth = {"authorization": "Bearer sk-two", "content-type": "application/json", **headers}
    body = json.dumps({"model": MODEL, "prompt": prompt}).encode()
    return engine.handle(Incoming("POST", "/v1/video/generations", auth, body))


def _poll(engine: ContractEngine, task_id: str) -> Any:
    answer = engine.handle(Incoming("GET", "/v1/video/generations/" + task_id, {"authorization": "Bearer sk-two"}))
    assert answer.status == 200, answer.body
    return answer.json()


@pytest.mark.parametrize("dialect", ["uniall", "new-api"])
def test_a_prompt_is_answered_by_every_engine_in_both_dialects(pair: Pair, dialect: str) -> None:
    first, second = _engines(pair, lifecycle="step", dialect=dialect)
    prompt = "a heron lands on a frozen lake " * 60  # 1 860 characters, near the request schema's cap
    task_id = _create(first, prompt.strip()).json()["id"]
    for engine in (second, first):
        job = _poll(engine, task_id)
        shown = job["prompt"] if dialect == "uniall" else job["data"]["properties"]["input"]
        assert shown == prompt.strip()
    assert MockControl(second).task(task_id).prompt == prompt.strip()


def test_a_prompt_is_kept_up_to_the_cap_and_expires_with_the_task(pair: Pair, redis_server: RedisServer) -> None:
    first, _ = pair
    task = _task()
    first.record(1.0, _fields("/long"), Created(task.id, "x" * (MAX_PROMPT_CHARS + 50), False))
    first.load_task(task)
    assert task.prompt == "x" * MAX_PROMPT_CHARS
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    assert 0 < client.ttl(first.tag + "task:" + task.id) <= KEY_TTL_SECONDS
    client.close()


@pytest.mark.parametrize(("outcome", "final"), [("fail", "failed"), ("succeed", "completed")])
def test_a_job_plan_taken_by_one_engine_is_followed_by_the_other(pair: Pair, outcome: Outcome, final: str) -> None:
    first, second = _engines(pair, lifecycle="step")
    MockControl(first).plan_job(outcome, polls=3)
    assert [plan.to_json() for plan in MockControl(second).pending_jobs] == [{"outcome": outcome, "polls": 3}]
    task_id = _create(second).json()["id"]
    assert MockControl(first).pending_jobs == []
    statuses = [_poll((first, second)[n % 2], task_id)["status"] for n in range(4)]
    assert statuses == ["in_progress", "in_progress", final, final]
    unplanned = _create(first).json()["id"]  # the plan was used up: the next job completes after two polls
    assert [_poll(second, unplanned)["status"] for _ in range(2)] == ["in_progress", "completed"]


def test_prefer_job_wins_over_a_plan_which_is_still_used_up(pair: Pair) -> None:
    first, second = _engines(pair, lifecycle="step")
    MockControl(first).plan_job("fail", polls=1)
    MockControl(first).plan_job("succeed", polls=1)
    stalled = _create(second, Prefer="job=stall").json()["id"]
    assert [_poll(first, stalled)["status"] for _ in range(3)] == ["in_progress"] * 3
    quick = _create(second).json()["id"]
    assert _poll(first, quick)["status"] == "completed"  # the second plan: one poll
    assert MockControl(second).pending_jobs == []


def test_plans_are_taken_in_order_once_under_concurrent_creates(pair: Pair) -> None:
    first, second = _engines(pair, lifecycle="step")
    for _ in range(6):
        MockControl(first).plan_job("fail", polls=1)
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda n: _create((first, second)[n % 2]).json()["id"], range(12)))
    statuses = Counter(_poll(first, task_id)["status"] for task_id in ids)
    assert statuses == Counter({"failed": 6, "in_progress": 6})


def test_tasks_are_listed_newest_last_from_any_engine_and_capped(redis_server: RedisServer, prefix: str) -> None:
    states = [RedisState.from_url(redis_server.url, prefix=prefix, max_tasks=3) for _ in range(2)]
    first, second = (ContractEngine(Settings(lifecycle="step"), ManualClock(), state=state) for state in states)
    ids = [_create((first, second)[n % 2], f"take {n}").json()["id"] for n in range(5)]
    _poll(first, ids[-1])
    tasks, total = MockControl(second).newest_tasks(10)
    assert [task.id for task in tasks] == ids[2:] and total == 3
    assert [task.prompt for task in tasks] == ["take 2", "take 3", "take 4"] and tasks[-1].polls == 1
    evicted = first.find_task(ids[0])
    assert evicted is not None and evicted.prompt is None  # derived from its id; its record went with the cap
    MockControl(first).reset()
    assert MockControl(second).newest_tasks(10) == ([], 0)


class _Counting:
    """Counts the commands a Redis client sends: one per round trip (no pipelines here)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client, self.sent = client, 0
        send: Callable[..., Any] = client.execute_command

        def counted(*args: Any, **options: Any) -> Any:
            self.sent += 1
            return send(*args, **options)

        client.execute_command = counted  # type: ignore[method-assign]


@pytest.mark.parametrize("lifecycle", ["step", "time"])
def test_creates_and_polls_take_one_round_trip_each(redis_server: RedisServer, prefix: str, lifecycle: str) -> None:
    counting = _Counting(redis.Redis.from_url(redis_server.url))
    state = RedisState(counting.client, prefix=prefix)
    engine = ContractEngine(Settings(lifecycle=lifecycle), ManualClock(), state=state)
    # Warm up: the first request learns the epoch, and each script's first use in a Redis that has
    # not seen it costs a NOSCRIPT and a SCRIPT LOAD (the script cache is the server's, so this
    # test must not rely on an earlier test having run a poll).
    _poll(engine, _create(engine).json()["id"])
    counting.sent = 0
    task_id = _create(engine).json()["id"]
    assert counting.sent == 1
    for _ in range(3):
        _poll(engine, task_id)
    assert counting.sent == 4
    MockControl(engine).queue_failure("503", endpoint="poll")  # a matching rule: the careful way, still right
    counting.sent = 0
    refused = engine.handle(Incoming("GET", f"/v1/video/generations/{task_id}", {"authorization": "Bearer sk-two"}))
    assert refused.status == 503 and counting.sent > 1
    assert [entry.status for entry in MockControl(engine).journal][-5:] == [200, 200, 200, 200, 503]
    counting.client.close()
