"""The Lua scripts `RedisState` runs: each change to the shared state is one of these, atomic.

Every key a script touches shares the mock's hash tag (`{prefix}`), so each script runs
on a Redis Cluster (and Valkey) as on one Redis: one hash slot holds the whole mock.
A task's record is a hash: `r` revision, `p` polls, `s` pinned state, `n` planned poll
count, `o` planned outcome, `q` prompt.
"""

from __future__ import annotations

__all__ = [
    "ADD_TO_QUEUE",
    "ADVANCE",
    "BEGIN",
    "CHANGE_TASK",
    "COMMIT",
    "NEWEST_TASKS",
    "POLL",
    "RECORD",
    "RESERVE_IN_FLIGHT",
    "RESET",
    "SETTLE_IN_FLIGHT",
    "TASK_FIELDS",
]

#: The fields of a task's record, in the order every script returns them.
TASK_FIELDS = ("r", "p", "s", "n", "o", "q")

# Whether a decoded failure rule matches a request's endpoint, model, mode ("" for none) and
# route template (the client classifies the path: `route_of`, the one path classifier).
_MATCHES = """
local function matches(rule, endpoint, model, mode, route)
  return (rule.endpoint == 'any' or rule.endpoint == endpoint)
    and (rule.model == cjson.null or rule.model == model)
    and (rule.mode == cjson.null or rule.mode == mode)
    and (rule.path == nil or rule.path == cjson.null or rule.path == route)
end
local function rule_matches(failures, endpoint, model, mode, route)
  if redis.call('LLEN', failures) == 0 then return false end
  for _, raw in ipairs(redis.call('LRANGE', failures, 0, -1)) do
    if matches(cjson.decode(raw), endpoint, model, mode, route) then return true end
  end
  return false
end
"""

# Append one journal entry, numbered by the counter, with the clock offset in force; answer
# whether the keys' time to live is due a refresh: on the 1st, 65th, 129th... entry (each
# EXPIRE costs as much as the append; a day's TTL refreshed every 64 requests is the same).
_JOURNAL = """
local function journal(entries, counter, offset, entry, cap, ttl)
  if tonumber(cap) <= 0 then return true end
  local seq = redis.call('INCR', counter)
  redis.call('RPUSH', entries, seq .. '|' .. offset .. '|' .. entry)
  redis.call('LTRIM', entries, -tonumber(cap), -1)
  if seq % 64 ~= 1 then return false end
  redis.call('EXPIRE', entries, ttl)
  redis.call('EXPIRE', counter, ttl)
  return true
end
"""

# A created task: use up the next job plan and store it with the prompt in the task's
# record, all in the create's one script; index the task (the newest `cap` keep records).
# The evicted task's key is built here: it shares the hash tag, so it is in this slot.
_CREATED = """
local function created(jobs, index, record, task_id, prompt, has_prompt, chosen, cap, ttl, task_prefix)
  local plan = redis.call('LPOP', jobs)
  local fields = {}
  if plan then
    local decoded = cjson.decode(plan)
    fields[#fields + 1] = 'n'
    fields[#fields + 1] = decoded.polls
    if chosen ~= '1' then
      fields[#fields + 1] = 'o'
      fields[#fields + 1] = decoded.outcome
    end
  end
  if has_prompt == '1' then
    fields[#fields + 1] = 'q'
    fields[#fields + 1] = prompt
  end
  if #fields > 0 then
    redis.call('HSET', record, unpack(fields))
    redis.call('EXPIRE', record, ttl)
  end
  local length = redis.call('RPUSH', index, task_id)
  redis.call('EXPIRE', index, ttl)
  if length > tonumber(cap) then
    redis.call('DEL', task_prefix .. redis.call('LPOP', index))
  end
end
"""

# KEYS: epoch, offset, failures, task record (or any key when there is no task)
# ARGV: epoch seen, endpoint, model, mode, "1" to load the task record, ttl, route template ("" for none)
BEGIN = (
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
    if matches(rule, ARGV[2], ARGV[3], ARGV[4], ARGV[7]) then
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
if ARGV[5] == '1' then record = redis.call('HMGET', KEYS[4], 'r', 'p', 's', 'n', 'o', 'q') end
return {epoch, offset, taken, record}
"""
)

# KEYS: epoch, offset, failures, journal, journal counter, job plans, task index, task record
# ARGV: one JSON array of: epoch and offset guessed, "1" if rules apply, endpoint, model, mode, entry JSON, cap,
#       ttl, then for a created task: "1", task id, prompt, "1" if it has one, "1" if
#       `Prefer: job=` chose its outcome, task cap, task key prefix; ARGV[2]: the route template ("" for none)
# {1} when journaled; {0, epoch, offset} when the guess no longer holds or a rule matches.
COMMIT = (
    _MATCHES
    + _JOURNAL
    + _CREATED
    + """
local A = cjson.decode(ARGV[1])  -- one JSON array: packing many arguments costs the client more
local epoch = tonumber(redis.call('GET', KEYS[1]) or '0')
local offset = redis.call('GET', KEYS[2]) or '0'
if epoch ~= tonumber(A[1]) or tonumber(offset) ~= tonumber(A[2]) then return {0, epoch, offset} end
if A[3] == '1' and rule_matches(KEYS[3], A[4], A[5], A[6], ARGV[2]) then return {0, epoch, offset} end
if journal(KEYS[4], KEYS[5], offset, A[7], A[8], A[9]) then
  redis.call('EXPIRE', KEYS[1], A[9])
  redis.call('EXPIRE', KEYS[2], A[9])
end
if A[10] == '1' then
  created(KEYS[6], KEYS[7], KEYS[8], A[11], A[12], A[13], A[14], A[15], A[9], A[16])
end
return {1}
"""
)

# A poll in one round trip. KEYS: epoch, offset, failures, journal, journal counter, task record
# ARGV: one JSON array of: epoch and offset guessed, model, mode, entry JSON, journal cap, ttl, "1" for the step
#       lifecycle, the outcome its id carries, default steps, the final state if it ends now
#       when it succeeds, and when it fails; ARGV[2]: the route template ("" for none)
# JSON [1, record...] after counting the poll (step lifecycle, as `Task.poll` does) and
# journaling; [0, epoch, offset] when the guess no longer holds or a poll rule matches.
POLL = (
    _MATCHES
    + _JOURNAL
    + """
local A = cjson.decode(ARGV[1])  -- one JSON array: packing many arguments costs the client more
local epoch = tonumber(redis.call('GET', KEYS[1]) or '0')
local offset = redis.call('GET', KEYS[2]) or '0'
if epoch ~= tonumber(A[1]) or tonumber(offset) ~= tonumber(A[2]) then return cjson.encode({0, epoch, offset}) end
if rule_matches(KEYS[3], 'poll', A[3], A[4], ARGV[2]) then return cjson.encode({0, epoch, offset}) end
local record = redis.call('HMGET', KEYS[6], 'r', 'p', 's', 'n', 'o', 'q')
if A[8] == '1' and (not record[3] or record[3] == '') then
  local polls = tonumber(record[2] or '0')
  local outcome = record[5] or A[9]
  local steps = tonumber(record[4] or A[10])
  local stalled = outcome == 'stall' and polls > 0
  local final = polls > 0 and outcome ~= 'stall' and polls >= steps
  if not stalled and not final then
    polls = polls + 1
    local pinned = ''
    if polls >= steps and outcome ~= 'stall' then
      if outcome == 'fail' then pinned = A[12] else pinned = A[11] end
    end
    local revision = tonumber(record[1] or '0') + 1
    redis.call('HSET', KEYS[6], 'r', revision, 'p', polls, 's', pinned)
    redis.call('EXPIRE', KEYS[6], A[7])
    record[1], record[2], record[3] = revision, polls, pinned
  end
end
if journal(KEYS[4], KEYS[5], offset, A[5], A[6], A[7]) then
  redis.call('EXPIRE', KEYS[1], A[7])
  redis.call('EXPIRE', KEYS[2], A[7])
end
-- One JSON string: the client parses it in one call, not seven replies (absent fields are false).
return cjson.encode({1, record[1], record[2], record[3], record[4], record[5], record[6]})
"""
)

# KEYS: task record; ARGV: revision read, polls, pinned, ttl. {1} on success, else {0, r, p, s}.
CHANGE_TASK = """
local revision = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if revision ~= tonumber(ARGV[1]) then
  local now = redis.call('HMGET', KEYS[1], 'r', 'p', 's')
  return {0, now[1], now[2], now[3]}
end
redis.call('HSET', KEYS[1], 'r', revision + 1, 'p', ARGV[2], 's', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1}
"""

# KEYS: journal, journal counter, offset, job plans, task index, task record (or any key)
# ARGV: entry JSON, cap, ttl, then as COMMIT's from "1" for a created task on
RECORD = (
    _JOURNAL
    + _CREATED
    + """
local offset = redis.call('GET', KEYS[3]) or '0'
journal(KEYS[1], KEYS[2], offset, ARGV[1], ARGV[2], ARGV[3])
if ARGV[4] == '1' then
  created(KEYS[4], KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[3], ARGV[10])
end
"""
)

# KEYS: a queue (failure rules or job plans); ARGV: item JSON, cap, ttl. 1 if queued, 0 if full.
ADD_TO_QUEUE = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: offset; ARGV: seconds, ttl
ADVANCE = """
local offset = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return offset
"""

# KEYS: task index; ARGV: how many, task key prefix.
# {total, id, record fields..., id, record fields...} for the newest tasks, oldest first.
NEWEST_TASKS = """
local total = redis.call('LLEN', KEYS[1])
local answer = {total}
if tonumber(ARGV[1]) <= 0 then return answer end
for _, id in ipairs(redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1)) do
  answer[#answer + 1] = id
  local record = redis.call('HMGET', ARGV[2] .. id, 'r', 'p', 's', 'n', 'o', 'q')
  for field = 1, 6 do answer[#answer + 1] = record[field] end
end
return answer
"""

# KEYS: epoch, offset, failures, journal, journal counter, job plans, task index; ARGV: ttl,
# task key prefix. Records of indexed tasks go too; any others (ids signed under an old
# epoch no longer resolve) expire.
RESET = """
local epoch = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
for _, id in ipairs(redis.call('LRANGE', KEYS[7], 0, -1)) do redis.call('DEL', ARGV[2] .. id) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return epoch
"""

# KEYS: one token's in-flight list, the owners index (a sorted set: owner by the time it last
# reserved); ARGV: cap, lease, ttl, most kept, owner, now (ms), most owners indexed, then the ids
# to drop first (final, gone, or stale leases). The concurrency cap's reservation, atomic across
# workers: 1 if the lease holds a slot (already, or now), 0 if the token is at its cap.
RESERVE_IN_FLIGHT = """
for i = 8, #ARGV do redis.call('LREM', KEYS[1], 0, ARGV[i]) end
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[7]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do if id == ARGV[2] then return 1 end end
if #ids >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: one token's in-flight list, the owners index; ARGV: lease, the task it became ("" for
# none), ttl, owner. An owner that holds nothing leaves the index.
SETTLE_IN_FLIGHT = """
redis.call('LREM', KEYS[1], 0, ARGV[1])
if ARGV[2] ~= '' then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
elseif redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return 1
"""
