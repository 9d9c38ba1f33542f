"""`RedisState`: the `MockState` every worker and host shares through one Redis.

Install with `pip install 'vidu-mock[redis]'` and start the mock with
`--state redis://host:port/db` (see "Scale out" in README.md). Every change is one
atomic server-side script, so any number of processes agree:

- a queued failure rule is used up exactly once, in queue order, after letting its
  `after` matching requests through (`_BEGIN`);
- the journal is one capped list, numbered by one counter (`_RECORD`);
- a task's poll count and forced state change by compare-and-set on a revision
  (`_CHANGE_TASK`): a step-mode task moves once per poll, whichever worker answers;
- the clock offset and reset epoch are read by every API request, in the same round
  trip that takes the failure rule, so clock moves and resets apply everywhere at once.

Keys live under a prefix and expire after `KEY_TTL_SECONDS` without use, so a shared
Redis never fills up. Redis down or slow raises `StateUnavailable` (a JSON 503 with
Retry-After); the client reconnects by itself once Redis is back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mockserver.contract.clock import Clock
from mockserver.contract.errors import ApiError
from mockserver.contract.failures import FailureRule
from mockserver.contract.job_plans import JobPlan
from mockserver.contract.journal import JournalEntry, redact_headers
from mockserver.contract.lifecycle import JobView, Task
from mockserver.contract.settings import DEFAULT_STATE_PREFIX, redacted_url
from mockserver.contract.state import JournalFields, StateUnavailable, Turn

__all__ = ["DEFAULT_PREFIX", "KEY_TTL_SECONDS", "MAX_RULES", "RedisState", "redacted_url"]

DEFAULT_PREFIX = DEFAULT_STATE_PREFIX
KEY_TTL_SECONDS = 86_400  # a key unused for a day goes: a shared Redis never fills up with old mocks
MAX_RULES = 1000
SOCKET_TIMEOUT_SECONDS = 1.0  # a slower Redis counts as down: requests get a 503, not a hang

# Whether a decoded failure rule matches a request's endpoint, model and mode ("" for none).
_MATCHES = """
local function matches(rule, endpoint, model, mode)
  return (rule.endpoint == 'any' or rule.endpoint == endpoint)
    and (rule.model == cjson.null or rule.model == model)
    and (rule.mode == cjson.null or rule.mode == mode)
end
"""

# KEYS: epoch, offset, failures, task record (or any key when there is no task)
# ARGV: epoch seen, endpoint, model, mode, "1" to load the task record, ttl
_BEGIN = (
    _MATCHES
    + """
local epoch = tonumber(redis.call('GET', KEYS[1]) or '0')
local offset = redis.call('GET', KEYS[2]) or '0'
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
if epoch ~= tonumber(ARGV[1]) then return {epoch, offset} end
local taken = false
local count = redis.call('LLEN', KEYS[3])
if count > 0 then
  local rules = redis.call('LRANGE', KEYS[3], 0, -1)
  for index, raw in ipairs(rules) do
    local rule = cjson.decode(raw)
    if matches(rule, ARGV[2], ARGV[3], ARGV[4]) then
      if (tonumber(rule.after) or 0) > 0 then
        -- `after`: this request goes through untouched, counted; rules behind wait too
        rule.after = rule.after - 1
        redis.call('LSET', KEYS[3], index - 1, cjson.encode(rule))
        redis.call('EXPIRE', KEYS[3], ARGV[6])
        break
      end
      rule.times = rule.times - 1
      if rule.times <= 0 then
        redis.call('LSET', KEYS[3], index - 1, '\\0used')
        redis.call('LREM', KEYS[3], 1, '\\0used')
      else
        redis.call('LSET', KEYS[3], index - 1, cjson.encode(rule))
      end
      redis.call('EXPIRE', KEYS[3], ARGV[6])
      taken = raw
      break
    end
  end
end
local record = false
if ARGV[5] == '1' then record = redis.call('HMGET', KEYS[4], 'r', 'p', 's') end
return {epoch, offset, taken, record}
"""
)

# KEYS: epoch, offset, failures, journal, journal counter
# ARGV: epoch and offset guessed, "1" if rules apply, endpoint, model, mode, entry JSON, cap, ttl
# {1} when journaled; {0, epoch, offset} when the guess no longer holds or a rule matches.
_COMMIT = (
    _MATCHES
    + """
local epoch = tonumber(redis.call('GET', KEYS[1]) or '0')
local offset = redis.call('GET', KEYS[2]) or '0'
if epoch ~= tonumber(ARGV[1]) or tonumber(offset) ~= tonumber(ARGV[2]) then return {0, epoch, offset} end
if ARGV[3] == '1' and redis.call('LLEN', KEYS[3]) > 0 then
  for _, raw in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
    if matches(cjson.decode(raw), ARGV[4], ARGV[5], ARGV[6]) then return {0, epoch, offset} end
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[9])
redis.call('EXPIRE', KEYS[2], ARGV[9])
if tonumber(ARGV[8]) > 0 then
  local seq = redis.call('INCR', KEYS[5])
  redis.call('RPUSH', KEYS[4], seq .. '|' .. offset .. '|' .. ARGV[7])
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[8]), -1)
  redis.call('EXPIRE', KEYS[4], ARGV[9])
  redis.call('EXPIRE', KEYS[5], ARGV[9])
end
return {1}
"""
)

# KEYS: task record; ARGV: revision read, polls, pinned, ttl. {1} on success, else {0, r, p, s}.
_CHANGE_TASK = """
local revision = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if revision ~= tonumber(ARGV[1]) then
  local now = redis.call('HMGET', KEYS[1], 'r', 'p', 's')
  return {0, now[1], now[2], now[3]}
end
redis.call('HSET', KEYS[1], 'r', revision + 1, 'p', ARGV[2], 's', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1}
"""

# KEYS: journal, journal counter, offset; ARGV: entry JSON, cap, ttl
_RECORD = """
local seq = redis.call('INCR', KEYS[2])
local offset = redis.call('GET', KEYS[3]) or '0'
redis.call('RPUSH', KEYS[1], seq .. '|' .. offset .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
"""

# KEYS: failures; ARGV: rule JSON, cap, ttl. 1 if queued, 0 if the queue is full.
_ADD_FAILURE = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: offset; ARGV: seconds, ttl
_ADVANCE = """
local offset = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return offset
"""

# KEYS: epoch, offset, failures, journal, journal counter; ARGV: ttl.
# Task records need no deleting: ids signed under the old epoch no longer resolve, and
# their records expire.
_RESET = """
local epoch = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return epoch
"""


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


def _apply_record(task: Task, revision: Any, polls: Any, pinned: Any) -> None:
    task.revision = int(revision or 0)
    task.polls = int(polls or 0)
    task.pinned = _pinned_view(pinned)


class RedisState:
    """A `MockState` on Redis, shared by every process that uses the same URL and prefix."""

    shared = True

    def __init__(self, client: Any, *, prefix: str = DEFAULT_PREFIX, max_journal: int = 1000) -> None:
        self.client = client
        self.prefix = prefix
        self.max_journal = max_journal
        self._epoch = 0
        self._offset = 0.0  # the clock offset as last seen
        key = prefix.__add__
        self._epoch_key, self._offset_key, self._failures_key = key("epoch"), key("clock-offset"), key("failures")
        self._journal_key, self._seq_key = key("journal"), key("journal-seq")
        self._begin = client.register_script(_BEGIN)
        self._commit = client.register_script(_COMMIT)
        self._change = client.register_script(_CHANGE_TASK)
        self._record = client.register_script(_RECORD)
        self._add_failure = client.register_script(_ADD_FAILURE)
        self._advance = client.register_script(_ADVANCE)
        self._reset = client.register_script(_RESET)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX, max_journal: int = 1000) -> RedisState:
        """Connect lazily to `url` (`redis://host:port/db`; `rediss://` and `unix://` too)."""
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise ValueError("state redis://... needs the redis client: pip install 'vidu-mock[redis]'") from None
        client = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            # One retry, on a broken connection only: a pooled connection Redis dropped when it
            # restarted reconnects unseen. Never on a timeout: the script may have run.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
        return cls(client, prefix=prefix, max_journal=max_journal)

    def _task_key(self, task_id: str) -> str:
        return f"{self.prefix}task:{task_id}"

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Turn any Redis failure into `StateUnavailable` (the client reconnects on the next call)."""
        from redis import RedisError

        try:
            yield
        except RedisError as error:
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

    def begin(self, endpoint: str, model: str | None, mode: str | None, epoch: int, task: Task | None = None) -> Turn:
        """One round trip: epoch, offset, the failure rule used up, the task's record."""
        task_key = self._task_key(task.id) if task is not None else self._epoch_key
        keys = (self._epoch_key, self._offset_key, self._failures_key, task_key)
        args = (epoch, endpoint, model or "", mode or "", "1" if task is not None else "0", KEY_TTL_SECONDS)
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

    def commit(
        self, guess: Turn, rules: tuple[str, str | None, str | None] | None, clock_now: float, fields: JournalFields
    ) -> bool:
        """One round trip: journal the request if `guess` holds and no rule matches (one script)."""
        endpoint, model, mode = rules or ("", None, None)
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
        )
        keys = (self._epoch_key, self._offset_key, self._failures_key, self._journal_key, self._seq_key)
        with self._talking():
            answer = self._commit(keys=keys, args=args)
        if int(answer[0]) == 1:
            return True
        self._epoch, self._offset = int(answer[1]), float(answer[2])
        return False

    # -- tasks ---------------------------------------------------------------------------
    def add_task(self, task: Task) -> None:
        """Nothing to store: the signed id carries the facts; records appear on the first change."""

    def local_task(self, task_id: str) -> Task | None:
        """None: no task lives in one process."""
        return None

    def load_task(self, task: Task) -> None:
        """Read the task's record (poll count, forced state, revision) into `task`."""
        with self._talking():
            revision, polls, pinned = self.client.hmget(self._task_key(task.id), "r", "p", "s")
        _apply_record(task, revision, polls, pinned)

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

    # -- journal -------------------------------------------------------------------------
    def record(self, clock_now: float, fields: JournalFields) -> None:
        """Append one entry (numbered, capped) in one round trip."""
        if self.max_journal <= 0:
            return
        with self._talking():
            self._record(
                keys=(self._journal_key, self._seq_key, self._offset_key),
                args=(self._entry(clock_now, fields), self.max_journal, KEY_TTL_SECONDS),
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
    def add_failure(self, rule: FailureRule) -> None:
        """Queue `rule` last; `ValueError` when `MAX_RULES` are queued."""
        with self._talking():
            queued = self._add_failure(
                keys=(self._failures_key,), args=(json.dumps(rule.to_json()), MAX_RULES, KEY_TTL_SECONDS)
            )
        if not int(queued):
            raise ValueError(f"at most {MAX_RULES} failure rules may be queued")

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
        """Refused: a plan sets a job's poll count, which a task derived from its id on another worker would not know."""
        raise ApiError(
            "bad_request",
            "Job plans (plan_job, /__mock/jobs, scenarios' job ends) need the in-memory state; "
            "this mock keeps its state in Redis. Use Prefer: job=fail|stall per request instead.",
        )

    def take_job_plan(self) -> JobPlan | None:
        """None: no plan is ever queued here."""
        return None

    def pending_job_plans(self) -> list[JobPlan]:
        """Empty: no plan is ever queued here."""
        return []

    def clear_job_plans(self) -> None:
        """Nothing to drop."""

    # -- clock and reset ----------------------------------------------------------------
    def advance_clock(self, clock: Clock, seconds: float) -> None:
        """Add `seconds` to the shared offset (the engine's own clock is left alone)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._talking():
            self._advance(keys=(self._offset_key,), args=(repr(float(seconds)), KEY_TTL_SECONDS))

    def reset(self, clock: Clock) -> None:
        """New epoch; offset, failure rules and journal gone, for every process at once."""
        keys = (self._epoch_key, self._offset_key, self._failures_key, self._journal_key, self._seq_key)
        with self._talking():
            self._epoch = int(self._reset(keys=keys, args=(KEY_TTL_SECONDS,)))
