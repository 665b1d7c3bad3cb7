-- lib.lua: shared helpers, concatenated in front of every transition script at load time
-- (Redis Lua cannot `require`). Conventions every script follows:
--   KEYS[1] = queue key prefix "<prefix>:<queue>:"   KEYS[2] = global key prefix "<prefix>::"
--   ARGV[1] = queue name (for event payloads)        ARGV[2] = "1" when this process has local
--   event listeners (the script then returns its events as a JSON array); script-specific
--   arguments start at ARGV[3].
-- Events are built only when someone listens (locally, or a subscriber of the events channel in
-- any process); they are published as ONE JSON array per script on "<Q>events". Wake-ups publish
-- just the reason ("job" | "delayed" | "resume") on "<Q>wake".
local Q = KEYS[1]
local G = KEYS[2]
local QUEUE = ARGV[1]
local WANT_LOCAL = ARGV[2] == '1'
local EVENTS_CHANNEL = Q .. 'events'
local REMOTE = redis.call('PUBSUB', 'NUMSUB', EVENTS_CHANNEL)[2] > 0
local EMIT = WANT_LOCAL or REMOTE
local QUEUE_JSON = cjson.encode(QUEUE)

local UNSTARTED = { waiting = true, delayed = true, ['waiting-children'] = true }
local FINISHED = { completed = true, failed = true, expired = true, cancelled = true }

local events = {}
local wakes = {}
-- Ids of the children ready() released in this script (drain keeps them out of its later chunks).
local released = {}

-- Integers (times, counts) as JSON/text without the exponent tostring() would use.
local function int(n)
  return string.format('%d', n)
end

local function jobKey(id)
  return Q .. 'job:' .. id
end

-- `extra` is a raw JSON fragment (",\"result\":...") appended to the payload.
local function emit(name, id, task, extra)
  if not EMIT then return end
  local s = '{"name":"' .. name .. '","payload":{"queue":' .. QUEUE_JSON
  if id then s = s .. ',"jobId":' .. cjson.encode(id) end
  if task then s = s .. ',"task":' .. cjson.encode(task) end
  events[#events + 1] = s .. (extra or '') .. '}}'
end

-- Publishes the collected events and wake-ups; returns the events for the caller ('' when none or unwanted).
local function flush()
  local batch = ''
  if #events > 0 then
    batch = '[' .. table.concat(events, ',') .. ']'
    if REMOTE then redis.call('PUBLISH', EVENTS_CHANNEL, batch) end
  end
  for _, reason in ipairs({ 'job', 'delayed', 'resume' }) do
    if wakes[reason] then redis.call('PUBLISH', Q .. 'wake', reason) end
  end
  if WANT_LOCAL then return batch end
  return ''
end

-- Deferred index writes: hot-path batches (claim, finish) collect their ZSET moves and apply them
-- with one variadic ZREM / ZADD per key. Only for (key, member) pairs nothing else in the script
-- reads or writes before applyDeferred() runs (call it before any generic transition); removals
-- are applied before additions, as leave() runs before enter().
local deferredRem, deferredAdd, deferredRemKeys, deferredAddKeys, deferredArgs = {}, {}, {}, {}, 0

local function applyDeferred()
  if deferredArgs == 0 then return end
  for _, key in ipairs(deferredRemKeys) do redis.call('ZREM', key, unpack(deferredRem[key])) end
  for _, key in ipairs(deferredAddKeys) do redis.call('ZADD', key, unpack(deferredAdd[key])) end
  deferredRem, deferredAdd, deferredRemKeys, deferredAddKeys, deferredArgs = {}, {}, {}, {}, 0
end

-- Applies every ~1000 members, so unpack stays within Lua's stack limit.
local function deferredFull()
  deferredArgs = deferredArgs + 1
  if deferredArgs >= 2000 then applyDeferred() end
end

local function deferZrem(key, member)
  local list = deferredRem[key]
  if not list then
    list = {}
    deferredRem[key] = list
    deferredRemKeys[#deferredRemKeys + 1] = key
  end
  list[#list + 1] = member
  deferredFull()
end

local function deferZadd(key, score, member)
  local list = deferredAdd[key]
  if not list then
    list = {}
    deferredAdd[key] = list
    deferredAddKeys[#deferredAddKeys + 1] = key
  end
  list[#list + 1] = score
  list[#list + 1] = member
  deferredFull()
end

-- The fields transitions need, as a table (nil when the job does not exist).
local function load(id)
  local v = redis.call('HMGET', jobKey(id), 'state', 'task', 'priority', 'seq', 'wm', 'ttl', 'createdAt',
    'attempts', 'runAt', 'onParentFailure', 'rc', 'rf', 'dedupKey', 'token', 'hasDeps')
  if not v[1] then return nil end
  return { id = id, state = v[1], task = v[2], priority = v[3], seq = v[4], wm = v[5], ttl = v[6],
    createdAt = v[7], attempts = tonumber(v[8]), runAt = v[9], onParentFailure = v[10], rc = v[11],
    rf = v[12], dedupKey = v[13], token = v[14], hasDeps = v[15] }
end

-- Takes a job out of the indexes of its current state.
local function leave(j)
  local s = j.state
  redis.call('ZREM', Q .. 's:' .. s, j.id)
  if s == 'waiting' then
    if j.wm then redis.call('ZREM', Q .. 'waiting', j.wm) end
  elseif s == 'delayed' then
    redis.call('ZREM', Q .. 'delayed', j.id)
  elseif s == 'active' then
    redis.call('ZREM', Q .. 'active', j.id)
  elseif FINISHED[s] then
    redis.call('ZREM', Q .. 'done:' .. s, j.id)
    redis.call('ZREM', Q .. 'retention', j.id)
  end
end

-- Puts a job in the per-state creation index of `to` and keeps its ttl entry in step.
local function enter(j, to)
  j.state = to
  redis.call('ZADD', Q .. 's:' .. to, j.seq, j.id)
  if j.ttl then
    if UNSTARTED[to] then
      redis.call('ZADD', Q .. 'ttl', j.createdAt + j.ttl, j.id)
    else
      redis.call('ZREM', Q .. 'ttl', j.id)
    end
  end
end

-- Waiting order (also in insert): score = priority, member = 15-digit sequence .. id, so equal priorities stay
-- FIFO by the (exact) lexicographic member order and any safe-integer priority stays exact.
local function toWaiting(j)
  enter(j, 'waiting')
  local m = string.format('%015d', redis.call('INCR', Q .. 'seq')) .. j.id
  redis.call('ZADD', Q .. 'waiting', j.priority, m)
  redis.call('HSET', jobKey(j.id), 'state', 'waiting', 'wm', m)
  j.wm = m
  wakes.job = true
end

local function toDelayed(j, runAt)
  enter(j, 'delayed')
  redis.call('ZADD', Q .. 'delayed', runAt, j.id)
  redis.call('HSET', jobKey(j.id), 'state', 'delayed', 'runAt', runAt)
  wakes.delayed = true
end

-- A finished state: finishedAt (and `field` = `value` when given), lease cleared, listed by finish time.
local function toFinished(j, to, now, field, value)
  enter(j, to)
  redis.call('ZADD', Q .. 'done:' .. to, now, j.id)
  if field then
    redis.call('HSET', jobKey(j.id), 'state', to, 'finishedAt', now, field, value)
  else
    redis.call('HSET', jobKey(j.id), 'state', to, 'finishedAt', now)
  end
  redis.call('HDEL', jobKey(j.id), 'token', 'workerId', 'leaseExpiresAt')
end

-- Deletes a job with its logs, dependants list, index entries and dedup key. With `keepDeps` its
-- dependants list stays, for settle() to consume.
local function deleteJob(j, keepDeps)
  leave(j)
  if j.ttl then redis.call('ZREM', Q .. 'ttl', j.id) end
  redis.call('ZREM', Q .. 'jobs', j.id)
  if keepDeps then
    redis.call('DEL', jobKey(j.id), Q .. 'logs:' .. j.id)
  else
    redis.call('DEL', jobKey(j.id), Q .. 'logs:' .. j.id, Q .. 'deps:' .. j.id)
  end
  if j.dedupKey and redis.call('HGET', Q .. 'dedup', j.dedupKey) == j.id then
    redis.call('HDEL', Q .. 'dedup', j.dedupKey)
  end
end

-- Retention of a job that just finished. rc/rf hold "1" (delete now) or "<age>|<count>".
local function retain(j, now)
  local spec = j.rf
  if j.state == 'completed' then spec = j.rc end
  if not spec then return end
  if spec == '1' then
    deleteJob(j)
    return
  end
  local sep = string.find(spec, '|', 1, true)
  local age = tonumber(string.sub(spec, 1, sep - 1))
  local count = tonumber(string.sub(spec, sep + 1))
  if age then redis.call('ZADD', Q .. 'retention', now + age, j.id) end
  if count then
    local set = Q .. 'done:' .. j.state
    local over = redis.call('ZCARD', set) - count
    if over > 0 then
      for _, old in ipairs(redis.call('ZRANGE', set, 0, over - 1)) do
        local o = load(old)
        if o then deleteJob(o) end
      end
    end
  end
end

local function errorEvent(j, errJson)
  emit('job:failed', j.id, j.task, ',"error":' .. errJson .. ',"attempts":' .. int(j.attempts))
end

local function parentFailedError(p)
  return cjson.encode({ name = 'ParentFailedError', message = 'parent job ' .. p.id .. ' ' .. p.state })
end

-- A child whose parents are all done: waiting, or delayed while its runAt is ahead.
local function ready(c, now)
  leave(c)
  if c.runAt and tonumber(c.runAt) > now then
    toDelayed(c, c.runAt)
  else
    toWaiting(c)
  end
  emit('job:ready', c.id, c.task)
  released[#released + 1] = c.id
end

-- Tells the children of a finished job: a completed parent (or a failed one, for children that
-- ignore failures) counts down their pending parents; otherwise they fail with ParentFailedError,
-- cascading. Iterative; retention of failed children runs once the cascade is done. A removed
-- parent comes as { id, state = 'removed', hasDeps } and counts as failed.
local function settle(root, now)
  local stack = { root }
  local failed = {}
  while #stack > 0 do
    local p = table.remove(stack)
    local depsKey = Q .. 'deps:' .. p.id
    local children = {}
    -- Most jobs never had a dependant: skip the list read for them.
    if p.hasDeps then children = redis.call('LRANGE', depsKey, 0, -1) end
    if #children > 0 then
      redis.call('DEL', depsKey)
      for _, cid in ipairs(children) do
        local c = load(cid)
        if c and c.state == 'waiting-children' then
          if p.state == 'completed' or c.onParentFailure == 'ignore' then
            if redis.call('HINCRBY', jobKey(cid), 'pending', -1) <= 0 then ready(c, now) end
          else
            local err = parentFailedError(p)
            leave(c)
            toFinished(c, 'failed', now, 'error', err)
            errorEvent(c, err)
            stack[#stack + 1] = c
            failed[#failed + 1] = c
          end
        end
      end
    end
  end
  for _, c in ipairs(failed) do retain(c, now) end
end

-- Admin removal (remove-job, drain, clean): deletes the loaded jobs `victims`, then settles the
-- children still waiting on any of them as if that parent had failed ("parent job <id> removed").
-- Children are settled once every victim is gone, so none is removed by the same call. A finished
-- job's dependants list was consumed when it finished.
local function removeJobs(victims, now)
  local parents = {}
  for _, j in ipairs(victims) do
    local settles = j.hasDeps and not FINISHED[j.state]
    deleteJob(j, settles)
    if settles then parents[#parents + 1] = { id = j.id, state = 'removed', hasDeps = true } end
  end
  for _, p in ipairs(parents) do settle(p, now) end
end

-- Moves a job that left its state to failed with `errJson`: event, dependants, retention.
local function fail(j, errJson, now)
  toFinished(j, 'failed', now, 'error', errJson)
  errorEvent(j, errJson)
  settle(j, now)
  retain(j, now)
end

local function expire(j, now)
  toFinished(j, 'expired', now)
  emit('job:expired', j.id, j.task)
  settle(j, now)
  retain(j, now)
end

-- Enqueue support (enqueue.lua, fire-repeatable.lua). A job arrives as a JSON array of 19 strings
-- ('' = absent): id, task, data, priority, maxRetries, backoff, ttl, timeout, createdAt, runAt,
-- dependsOn (JSON), onParentFailure, removeOnComplete (JSON), removeOnFail (JSON), rc, rf,
-- inherit (JSON), dedupKey, dedupTtl.
local OPTIONAL_FIELDS = { [6] = 'backoff', [7] = 'ttl', [8] = 'timeout', [10] = 'runAt', [11] = 'dependsOn',
  [12] = 'onParentFailure', [13] = 'removeOnComplete', [14] = 'removeOnFail', [15] = 'rc', [16] = 'rf',
  [17] = 'inherit', [18] = 'dedupKey' }

-- The first parent id (not created earlier in the batch) that does not exist, or nil.
local function missingParent(parents)
  for _, p in ipairs(parents) do
    if redis.call('EXISTS', jobKey(p)) == 0 then return p end
  end
  return nil
end

-- The existing job a new one duplicates (same custom id, or a live dedup key), as id, state, task.
local function duplicateOf(id, createdAt, dedupKey, dedupTtl)
  if id ~= '' then
    local same = redis.call('HMGET', jobKey(id), 'state', 'task')
    if same[1] then return id, same[1], same[2] end
  end
  if dedupKey == '' then return nil end
  local holder = redis.call('HGET', Q .. 'dedup', dedupKey)
  if not holder then return nil end
  local h = redis.call('HMGET', jobKey(holder), 'state', 'task', 'createdAt')
  if not h[1] then return nil end
  local live
  if dedupTtl ~= '' then
    live = tonumber(createdAt) - tonumber(h[3]) < tonumber(dedupTtl)
  else
    live = not FINISHED[h[1]]
  end
  if live then return holder, h[1], h[2] end
  return nil
end

-- Inserts one job (the 19-string array `a`); returns id, state, duplicate (0/1).
local function insert(a)
  local id, task, createdAt, dedupKey = a[1], a[2], a[9], a[18]
  local dupId, dupState, dupTask = duplicateOf(id, createdAt, dedupKey, a[19])
  if dupId then
    emit('job:duplicated', dupId, dupTask)
    return dupId, dupState, 1
  end
  -- Parents first (reads only), so the job is written once, in its final state.
  local pending = {}
  local failedParent
  if a[11] ~= '' then
    local seen = {}
    for _, pid in ipairs(cjson.decode(a[11])) do
      if not seen[pid] then
        seen[pid] = true
        local ps = redis.call('HGET', jobKey(pid), 'state')
        -- A parent deleted earlier in this batch (retention) has finished: it counts as done.
        if ps and ps ~= 'completed' then
          if not FINISHED[ps] then
            pending[#pending + 1] = pid
          elseif a[12] ~= 'ignore' and not failedParent then
            failedParent = { id = pid, state = ps }
          end
        end
      end
    end
  end
  if id == '' then id = tostring(redis.call('INCR', Q .. 'id')) end
  local seq = redis.call('INCR', Q .. 'seq')
  local now = tonumber(createdAt)
  local j = { id = id, task = task, priority = a[4], seq = seq, createdAt = createdAt, attempts = 0,
    onParentFailure = a[12], dedupKey = dedupKey }
  if a[7] ~= '' then j.ttl = a[7] end
  if a[15] ~= '' then j.rc = a[15] end
  if a[16] ~= '' then j.rf = a[16] end
  local state = 'waiting'
  if failedParent then
    state = 'failed'
  elseif #pending > 0 then
    state = 'waiting-children'
  elseif a[10] ~= '' and tonumber(a[10]) > now then
    state = 'delayed'
  end
  local fields = { 'id', id, 'task', task, 'data', a[3], 'priority', a[4], 'maxRetries', a[5],
    'createdAt', createdAt, 'attempts', 0, 'stalledCount', 0, 'seq', seq, 'state', state }
  for i = 6, 18 do
    if i ~= 9 and a[i] ~= '' then
      fields[#fields + 1] = OPTIONAL_FIELDS[i]
      fields[#fields + 1] = a[i]
    end
  end
  local wm
  if state == 'waiting' then
    wm = string.format('%015d', seq) .. id
    fields[#fields + 1] = 'wm'
    fields[#fields + 1] = wm
  elseif state == 'waiting-children' then
    fields[#fields + 1] = 'pending'
    fields[#fields + 1] = #pending
  end
  redis.call('HSET', jobKey(id), unpack(fields))
  redis.call('ZADD', Q .. 'jobs', seq, id)
  if dedupKey ~= '' then redis.call('HSET', Q .. 'dedup', dedupKey, id) end
  if state == 'failed' then
    fail(j, parentFailedError(failedParent), now)
  elseif state == 'waiting-children' then
    for _, pid in ipairs(pending) do
      redis.call('RPUSH', Q .. 'deps:' .. pid, id)
      redis.call('HSET', jobKey(pid), 'hasDeps', 1)
    end
    enter(j, state)
  elseif state == 'delayed' then
    enter(j, state)
    redis.call('ZADD', Q .. 'delayed', a[10], id)
    wakes.delayed = true
    emit('job:delayed', id, task, ',"runAt":' .. a[10])
  else
    enter(j, state)
    redis.call('ZADD', Q .. 'waiting', a[4], wm)
    wakes.job = true
    emit('job:waiting', id, task)
  end
  return id, j.state, 0
end

-- The fields of a JobRecord, in the order RECORD_FIELDS in redis-backend.ts decodes them.
local RECORD_FIELDS = { 'id', 'task', 'data', 'state', 'priority', 'attempts', 'maxRetries', 'backoff',
  'ttl', 'timeout', 'createdAt', 'runAt', 'startedAt', 'finishedAt', 'progress', 'result', 'error',
  'dependsOn', 'stalledCount', 'onParentFailure', 'removeOnComplete', 'removeOnFail', 'inherit',
  'workerId', 'leaseExpiresAt' }
