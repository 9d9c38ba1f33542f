"""`RedisState`: the `MockState` every worker and host shares through one Redis (or Cluster).

Install with `pip install 'vidu-mock[redis]'` and start the mock with
`--state redis://host:port/db` or `--state redis+cluster://node:port` (see "Scale out" in
README.md). Every change is one atomic server-side script (`mockserver.state.redis_scripts`),
so any number of processes agree:

- a queued failure rule is used up exactly once, in queue order, after letting its
  `after` matching requests through (`BEGIN`);
- the journal is one capped list, numbered by one counter;
- a create is journaled, takes the next job plan and stores it with its prompt in the
  task's record, in one script and one round trip (`COMMIT`);
- a poll reads the task's record, counts the poll (step lifecycle) and is journaled in one
  script and one round trip (`POLL`); forced states change a record by compare-and-set
  on its revision (`CHANGE_TASK`);
- the clock offset and reset epoch are checked by every API request in that same round
  trip, so clock moves and resets apply everywhere at once.

Keys share the hash tag `{prefix}` (one cluster slot) and expire after `KEY_TTL_SECONDS`
without use, so a shared Redis never fills up. Redis down or slow raises
`StateUnavailable` (a JSON 503 with Retry-After); the client reconnects by itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mockserver.contract.data.schemas import load_schema
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.jobs.clock import Clock
from mockserver.contract.jobs.lifecycle import JobView, Task, final_view
from mockserver.contract.jobs.plans import JobPlan
from mockserver.contract.redaction import redact_headers, redacted_url
from mockserver.contract.routes.paths import route_of
from mockserver.contract.settings import DEFAULT_STATE_PREFIX
from mockserver.contract.state.in_flight import MAX_TOKENS, MAX_TRACKED
from mockserver.contract.state.journal import JournalEntry
from mockserver.contract.state.protocol import Created, JournalFields, RuleKey, StateUnavailable, Turn
from mockserver.state import redis_scripts as scripts
from mockserver.state.redis_client import connect, redis_errors

__all__ = [
    "DEFAULT_PREFIX",
    "KEY_TTL_SECONDS",
    "MAX_PLANS",
    "MAX_PROMPT_CHARS",
    "MAX_RULES",
    "RedisState",
    "redacted_url",
]

DEFAULT_PREFIX = DEFAULT_STATE_PREFIX
KEY_TTL_SECONDS = 86_400  # a key unused for a day goes: a shared Redis never fills up with old mocks
MAX_RULES = 1000
MAX_PLANS = 1000  # as the in-memory queue's cap
#: The longest prompt a task's record keeps: the request schema's own cap.
MAX_PROMPT_CHARS = int(load_schema("request")["properties"]["prompt"]["maxLength"])


def _pinned_text(view: JobView | None) -> str:
    if view is None:
        return ""
    return f"{view.status},{view.progress},{'' if view.completed_at is None else view.completed_at}"


def _pinned_view(text: Any) -> JobView | None:
    if not text:
        return None
    status, progress, completed = _text(text).split(",")
    return JobView(status, int(progress), int(completed) if completed else None)  # type: ignore[arg-type]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _route(path: str) -> str:
    """The route template a failure rule's `path` is matched with in the scripts ("" off the API)."""
    return (route_of(path) or "") if path else ""


def _apply_record(
    task: Task, revision: Any, polls: Any, pinned: Any, steps: Any = None, outcome: Any = None, prompt: Any = None
) -> None:
    """Load a task's record (`redis_scripts.TASK_FIELDS`) into `task`; absent fields leave what the id says."""
    task.revision = int(revision or 0)
    task.polls = int(polls or 0)
    task.pinned = _pinned_view(pinned)
    if steps:
        task.steps = int(steps)
    if outcome:
        task.outcome = _text(outcome)  # type: ignore[assignment]  # stored from a validated plan
    if prompt is not None and prompt is not False:  # false: absent, in a script's JSON answer
        task.prompt = _text(prompt)


class RedisState:
    """A `MockState` on Redis, shared by every process that uses the same URL and prefix."""

    shared = True

    def __init__(
        self, client: Any, *, prefix: str = DEFAULT_PREFIX, max_journal: int = 1000, max_tasks: int = 100_000
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_journal = max_journal
        self.max_tasks = max_tasks
        self._epoch = 0
        self._offset = 0.0  # the clock offset as last seen
        # One hash tag for every key of this mock: one cluster slot, so every script runs on a cluster.
        self.tag = tag = "{" + prefix + "}"
        key = tag.__add__
        self._epoch_key, self._offset_key, self._failures_key = key("epoch"), key("clock-offset"), key("failures")
        self._journal_key, self._seq_key = key("journal"), key("journal-seq")
        self._jobs_key, self._index_key, self._task_prefix = key("jobs"), key("tasks"), key("task:")
        self._errors = redis_errors()
        from redis.commands.core import Script  # given bytes, a script needs nothing from the client yet

        self._begin = Script(client, scripts.BEGIN.encode())
        self._commit = Script(client, scripts.COMMIT.encode())
        self._poll = Script(client, scripts.POLL.encode())
        self._change = Script(client, scripts.CHANGE_TASK.encode())
        self._record = Script(client, scripts.RECORD.encode())
        self._add = Script(client, scripts.ADD_TO_QUEUE.encode())
        self._advance = Script(client, scripts.ADVANCE.encode())
        self._newest = Script(client, scripts.NEWEST_TASKS.encode())
        self._reset = Script(client, scripts.RESET.encode())
        self._reserve = Script(client, scripts.RESERVE_IN_FLIGHT.encode())
        self._settle = Script(client, scripts.SETTLE_IN_FLIGHT.encode())
        self._owners_key = key("in-flight-owners")

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = DEFAULT_PREFIX, max_journal: int = 1000, max_tasks: int = 100_000
    ) -> RedisState:
        """Connect lazily to `url` (`redis://host:port/db`, `rediss://`, `unix://`, `redis+cluster://`...)."""
        return cls(connect(url), prefix=prefix, max_journal=max_journal, max_tasks=max_tasks)

    def _task_key(self, task_id: str) -> str:
        return self._task_prefix + task_id

    def _in_flight_key(self, owner: str) -> str:
        return f"{self.tag}in-flight:{owner}"

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Turn any Redis failure into `StateUnavailable` (the client reconnects on the next call)."""
        try:
            yield
        except self._errors as error:
            raise StateUnavailable(f"{type(error).__name__}: {error}") from None

    @property
    def epoch(self) -> int:
        """The epoch the last request from this process saw."""
        return self._epoch

    def refresh(self) -> tuple[int, float]:
        """The epoch and clock offset stored now (one round trip)."""
        with self._talking():
            epoch, offset = self.client.mget(self._epoch_key, self._offset_key)
        self._epoch, self._offset = int(epoch or 0), float(offset or 0)
        return self._epoch, self._offset

    def begin(
        self, endpoint: str, model: str | None, mode: str | None, epoch: int, task: Task | None = None, path: str = ""
    ) -> Turn:
        """One round trip: epoch, offset, the failure rule used up (matched on `path`'s route), the task's record."""
        task_key = self._task_key(task.id) if task is not None else self._epoch_key
        keys = (self._epoch_key, self._offset_key, self._failures_key, task_key)
        args = (
            epoch,
            endpoint,
            model or "",
            mode or "",
            "1" if task is not None else "0",
            KEY_TTL_SECONDS,
            _route(path),
        )
        with self._talking():
            answer = self._begin(keys=keys, args=args)
        self._epoch = current = int(answer[0])
        self._offset = offset = float(answer[1])
        if current != epoch:
            return Turn(current, offset)
        rule = FailureRule(**json.loads(answer[2])) if answer[2] else None
        if task is not None and answer[3]:
            _apply_record(task, *answer[3])
        return Turn(current, offset, rule)

    def guess(self) -> Turn | None:
        """The epoch and clock offset the last request from this process saw, no rule."""
        return Turn(self._epoch, self._offset)

    def _created_args(self, created: Created | None) -> tuple[str, tuple[Any, ...]]:
        """The created task's record key and script arguments (a placeholder key when none)."""
        if created is None:
            return self._epoch_key, ("0",)
        prompt = created.prompt
        return self._task_key(created.task_id), (
            "1",
            created.task_id,
            "" if prompt is None else prompt[:MAX_PROMPT_CHARS],
            "0" if prompt is None else "1",
            "1" if created.outcome_chosen else "0",
            self.max_tasks,
            self._task_prefix,
        )

    def commit(
        self,
        guess: Turn,
        rules: RuleKey | None,
        clock_now: float,
        fields: JournalFields,
        created: Created | None = None,
    ) -> bool:
        """One round trip: journal the request (and store the task it created, with the next job
        plan) if `guess` holds and no rule matches, all in one script."""
        endpoint, model, mode, path = rules or ("", None, None, "")
        record_key, created_args = self._created_args(created)
        args = (
            guess.epoch,
            repr(guess.clock_offset),
            "1" if rules else "0",
            endpoint,
            model or "",
            mode or "",
            self._entry(clock_now, fields),
            self.max_journal,
            KEY_TTL_SECONDS,
            *created_args,
        )
        keys = (
            self._epoch_key,
            self._offset_key,
            self._failures_key,
            self._journal_key,
            self._seq_key,
            self._jobs_key,
            self._index_key,
            record_key,
        )
        with self._talking():
            answer = self._commit(keys=keys, args=(json.dumps(args), _route(path)))
        if int(answer[0]) == 1:
            return True
        self._epoch, self._offset = int(answer[1]), float(answer[2])
        return False

    def poll(
        self, guess: Turn, task: Task, now: float, clock_now: float, fields: JournalFields, path: str = ""
    ) -> bool:
        """One round trip: load `task`'s record, count the poll and journal it, if `guess` holds
        and no poll rule matches; False changes nothing."""
        args = (
            guess.epoch,
            repr(guess.clock_offset),
            task.model,
            task.mode or "",
            self._entry(clock_now, fields),
            self.max_journal,
            KEY_TTL_SECONDS,
            "1" if task.lifecycle == "step" else "0",
            task.outcome,
            task.steps,
            _pinned_text(final_view("succeed", now)),
            _pinned_text(final_view("fail", now)),
        )
        keys = (
            self._epoch_key,
            self._offset_key,
            self._failures_key,
            self._journal_key,
            self._seq_key,
            self._task_key(task.id),
        )
        with self._talking():
            answer = json.loads(self._poll(keys=keys, args=(json.dumps(args), _route(path))))
        if int(answer[0]) == 1:
            _apply_record(task, *answer[1:])
            return True
        self._epoch, self._offset = int(answer[1]), float(answer[2])
        return False

    # -- tasks ---------------------------------------------------------------------------
    def add_task(self, task: Task) -> None:
        """Nothing to store: the signed id carries the facts; the create's script stores the rest."""

    def local_task(self, task_id: str) -> Task | None:
        """None: no task lives in one process."""
        return None

    def load_task(self, task: Task) -> None:
        """Read the task's record (poll count, forced state, plan, prompt, revision) into `task`."""
        with self._talking():
            record = self.client.hmget(self._task_key(task.id), *scripts.TASK_FIELDS)
        _apply_record(task, *record)

    def change_task(self, task: Task, change: Callable[[Task], JobView]) -> JobView:
        """Apply `change` and store the result if the record is still the one read; else reread and redo."""
        key = self._task_key(task.id)
        while True:
            before = (task.polls, task.pinned)
            view = change(task)
            if (task.polls, task.pinned) == before:
                return view
            args = (task.revision, task.polls, _pinned_text(task.pinned), KEY_TTL_SECONDS)
            with self._talking():
                answer = self._change(keys=(key,), args=args)
            if int(answer[0]) == 1:
                task.revision += 1
                return view
            _apply_record(task, *answer[1:])  # another worker changed it first: redo on its result

    def newest_tasks(self, limit: int, derive: Callable[[str], Task | None]) -> tuple[list[Task], int]:
        """The `limit` newest tasks (oldest first) with their records, and how many are indexed."""
        with self._talking():
            answer = self._newest(keys=(self._index_key,), args=(limit, self._task_prefix))
        width = 1 + len(scripts.TASK_FIELDS)
        tasks = []
        for start in range(1, len(answer), width):
            task = derive(_text(answer[start]))
            if task is not None:  # an id signed under an epoch a reset ended
                _apply_record(task, *answer[start + 1 : start + width])
                tasks.append(task)
        return tasks, int(answer[0])

    # -- the per-token concurrency cap ----------------------------------------------------
    def in_flight_ids(self, owner: str) -> list[str]:
        """The task ids and leases counted against `owner`'s cap, oldest first (some may be over since)."""
        with self._talking():
            return [_text(task_id) for task_id in self.client.lrange(self._in_flight_key(owner), 0, -1)]

    def reserve_in_flight(self, owner: str, cap: int, lease: str, drop: list[str]) -> bool:
        """Drop `drop`, then hold a slot under `lease` unless `owner` is at `cap`: one script, every worker."""
        now_ms = int(time.time() * 1000)
        args: tuple[str | int, ...] = (cap, lease, KEY_TTL_SECONDS, MAX_TRACKED, owner, now_ms, MAX_TOKENS, *drop)
        keys = (self._in_flight_key(owner), self._owners_key)
        with self._talking():
            return int(self._reserve(keys=keys, args=args)) == 1

    def settle_in_flight(self, owner: str, lease: str, task_id: str | None) -> None:
        """Replace `lease` by the task it created, or free it (the create made none)."""
        keys = (self._in_flight_key(owner), self._owners_key)
        with self._talking():
            self._settle(keys=keys, args=(lease, task_id or "", KEY_TTL_SECONDS, owner))

    def in_flight_owners(self, limit: int) -> list[str]:
        """The `limit` owners that reserved last, oldest first (from the owners index)."""
        if limit <= 0:
            return []
        with self._talking():
            return [_text(owner) for owner in self.client.zrange(self._owners_key, -limit, -1)]

    # -- journal -------------------------------------------------------------------------
    def record(self, clock_now: float, fields: JournalFields, created: Created | None = None) -> None:
        """Append one entry (numbered, capped) and store the task it created, in one round trip."""
        record_key, created_args = self._created_args(created)
        if self.max_journal <= 0 and created is None:
            return
        keys = (self._journal_key, self._seq_key, self._offset_key, self._jobs_key, self._index_key, record_key)
        with self._talking():
            self._record(
                keys=keys,
                args=(self._entry(clock_now, fields), self.max_journal, KEY_TTL_SECONDS, *created_args),
            )

    @staticmethod
    def _entry(clock_now: float, fields: JournalFields) -> str:
        method, path, headers, *rest = fields
        return json.dumps([clock_now, method, path, redact_headers(headers), *rest], default=str)

    def journal(self) -> list[JournalEntry]:
        """Every entry, oldest first."""
        with self._talking():
            raw = self.client.lrange(self._journal_key, 0, -1)
        entries = []
        for item in raw:
            seq, offset, payload = _text(item).split("|", 2)
            clock_now, *fields = json.loads(payload)
            entries.append(JournalEntry(int(seq), clock_now + float(offset), *fields))
        return entries

    def clear_journal(self) -> None:
        """Forget the journal; numbering starts again at 1."""
        with self._talking():
            self.client.delete(self._journal_key, self._seq_key)

    # -- failure rules -------------------------------------------------------------------
    def _queue(self, key: str, item: dict[str, Any], cap: int, what: str) -> None:
        with self._talking():
            queued = self._add(keys=(key,), args=(json.dumps(item), cap, KEY_TTL_SECONDS))
        if not int(queued):
            raise ValueError(f"at most {cap} {what} may be queued")

    def add_failure(self, rule: FailureRule) -> None:
        """Queue `rule` last; `ValueError` when `MAX_RULES` are queued."""
        self._queue(self._failures_key, rule.to_json(), MAX_RULES, "failure rules")

    def pending_failures(self) -> list[FailureRule]:
        """The rules still queued, in order."""
        with self._talking():
            raw = self.client.lrange(self._failures_key, 0, -1)
        return [FailureRule(**json.loads(item)) for item in raw]

    def clear_failures(self) -> None:
        """Drop every queued rule."""
        with self._talking():
            self.client.delete(self._failures_key)

    # -- job plans ----------------------------------------------------------------------
    def add_job_plan(self, plan: JobPlan) -> None:
        """Queue `plan` last; `ValueError` when `MAX_PLANS` are queued."""
        self._queue(self._jobs_key, plan.to_json(), MAX_PLANS, "job plans")

    def take_job_plan(self) -> JobPlan | None:
        """None: here the create's own script takes the plan, with the task's record (`commit`, `record`)."""
        return None

    def pending_job_plans(self) -> list[JobPlan]:
        """The plans not yet used, next first."""
        with self._talking():
            raw = self.client.lrange(self._jobs_key, 0, -1)
        return [JobPlan(**json.loads(item)) for item in raw]

    def clear_job_plans(self) -> None:
        """Drop every queued plan."""
        with self._talking():
            self.client.delete(self._jobs_key)

    # -- clock and reset ----------------------------------------------------------------
    def advance_clock(self, clock: Clock, seconds: float) -> None:
        """Add `seconds` to the shared offset (the engine's own clock is left alone)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._talking():
            self._advance(keys=(self._offset_key,), args=(repr(float(seconds)), KEY_TTL_SECONDS))

    def reset(self, clock: Clock) -> None:
        """New epoch; offset, failure rules, job plans, journal and task records gone, for every process at once."""
        keys = (
            self._epoch_key,
            self._offset_key,
            self._failures_key,
            self._journal_key,
            self._seq_key,
            self._jobs_key,
            self._index_key,
        )
        with self._talking():
            self._epoch = int(self._reset(keys=keys, args=(KEY_TTL_SECONDS, self._task_prefix)))
