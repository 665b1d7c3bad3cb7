-- moves: reading a job and moving it between the indexes of its states.
-- @include base
-- @include events
-- Effect: load() reads; leave() takes a job out of its state's indexes; enter() and the to*()
--   moves put it in the next state's (writing its hash); toWaiting/toDelayed raise their wake-up.
-- Defines: orderMember(seq, id), lifoMember(seq, id), memberId(m), nextMember(id), load(id), leave(j),
--   enter(j, to), toWaiting(j, front), toDelayed(j, runAt), toFinished(j, to, now, field, value).
-- Each state but active has a creation index "<Q>s:<state>" (score seq): active jobs are few and
--   listed from "<Q>active" (get-jobs.lua), which saves every claim and finish two index writes.

-- The member of a job in `waiting` (score priority) and `delayed` (score runAt), kept in its hash
-- as `wm`: the 15-digit sequence of its entry into that state, then its id. Equal scores order
-- members lexicographically, so equal priorities, and equal runAts, stay FIFO (exact for any
-- safe-integer score; the sequence never wraps in practice).
local function orderMember(seq, id)
  return string.format('%015d', seq) .. id
end

-- The member of a lifo job in `waiting`: '-' sorts before every digit, and the complement of its
-- 14-digit sequence puts newer lifo jobs before older ones; same 15-character prefix.
local function lifoMember(seq, id)
  return '-' .. string.format('%014d', 99999999999999 - seq) .. id
end

local function memberId(m)
  return string.sub(m, 16)
end

-- A member at the FIFO tail.
local function nextMember(id)
  return orderMember(redis.call('INCR', Q .. 'seq'), id)
end

-- The fields transitions need, as a table (nil when the job does not exist).
local function load(id)
  local v = redis.call('HMGET', jobKey(id), 'state', 'task', 'priority', 'seq', 'wm', 'ttl', 'createdAt',
    'attempts', 'runAt', 'onParentFailure', 'rc', 'rf', 'dedupKey', 'token', 'hasDeps', 'lifo')
  if not v[1] then return nil end
  return { id = id, state = v[1], task = v[2], priority = v[3], seq = v[4], wm = v[5], ttl = v[6],
    createdAt = v[7], attempts = tonumber(v[8]), runAt = v[9], onParentFailure = v[10], rc = v[11],
    rf = v[12], dedupKey = v[13], token = v[14], hasDeps = v[15], lifo = v[16] }
end

-- Takes a job out of the indexes of its current state.
local function leave(j)
  local s = j.state
  if s ~= 'active' then redis.call('ZREM', Q .. 's:' .. s, j.id) end
  if s == 'waiting' then
    if j.wm then redis.call('ZREM', Q .. 'waiting', j.wm) end
  elseif s == 'delayed' then
    -- The bare id too: the member of a job delayed before members carried a sequence.
    redis.call('ZREM', Q .. 'delayed', j.wm or j.id, j.id)
  elseif s == 'active' then
    redis.call('ZREM', Q .. 'active', j.id)
    slotFreed = true
  elseif FINISHED[s] then
    redis.call('ZREM', Q .. 'done:' .. s, j.id)
    redis.call('ZREM', Q .. 'retention', j.id)
  end
end

-- Puts a job in the per-state creation index of `to` and keeps its ttl entry in step.
local function enter(j, to)
  j.state = to
  if to ~= 'active' then redis.call('ZADD', Q .. 's:' .. to, j.seq, j.id) end
  if j.ttl then
    if UNSTARTED[to] then
      redis.call('ZADD', Q .. 'ttl', j.createdAt + j.ttl, j.id)
    else
      redis.call('ZREM', Q .. 'ttl', j.id)
    end
  end
end

-- At the FIFO tail of its priority, or at its head when `front` (a lifo job added or promoted).
local function toWaiting(j, front)
  enter(j, 'waiting')
  local m = front and lifoMember(redis.call('INCR', Q .. 'seq'), j.id) or nextMember(j.id)
  redis.call('ZADD', Q .. 'waiting', j.priority, m)
  redis.call('HSET', jobKey(j.id), 'state', 'waiting', 'wm', m)
  j.wm = m
  wakes.job = true
end

local function toDelayed(j, runAt)
  enter(j, 'delayed')
  local m = nextMember(j.id)
  redis.call('ZADD', Q .. 'delayed', runAt, m)
  redis.call('HSET', jobKey(j.id), 'state', 'delayed', 'runAt', runAt, 'wm', m)
  j.wm = m
  wakes.delayed = true
end

-- A finished state: finishedAt (and `field` = `value` when given), lease cleared, listed by finish time.
local function toFinished(j, to, now, field, value)
  enter(j, to)
  redis.call('ZADD', Q .. 'done:' .. to, now, j.id)
  -- Without `field`, finishedAt is written twice (HSET takes repeats, the last wins).
  redis.call('HSET', jobKey(j.id), 'state', to, 'finishedAt', now, field or 'finishedAt', value or now)
  redis.call('HDEL', jobKey(j.id), 'token', 'workerId', 'leaseExpiresAt')
end
