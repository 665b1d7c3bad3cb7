-- finish.lua: ends a batch of attempts, each fenced by its lease token.
-- @include settle
-- @include deferred
-- ARGV (after base's three): [4] now, then 5 per item: kind (completed | retry | failed | expired |
--   released | delayed | waiting-children), jobId, token, payload (result JSON for completed, error
--   JSON for retry/failed, the new data JSON or '' for delayed, the child ids' JSON array for
--   waiting-children, else ''), runAt (retry, delayed) or ''.
-- Effect per item, only if the job is active and holds the token (lease fields cleared):
--   completed: result, finishedAt, job:completed, dependants, removeOnComplete.
--   retry: error, runAt; delayed (wake "delayed") or waiting (wake "job"); job:retrying.
--   failed: error, finishedAt, job:failed, dependants, removeOnFail.
--   expired: attempts - 1, finishedAt, job:expired, dependants, removeOnFail.
--   released: attempts - 1, waiting at the FIFO tail, wake "job", no event.
--   delayed (a step job): attempts - 1, data replaced when given, runAt; delayed (job:delayed) or,
--   when runAt <= now, waiting (job:waiting), at the FIFO tail.
--   waiting-children (a step job): attempts - 1, dependsOn = the child ids; waits on the unfinished
--   ones (waiting-children), else fails with the first dead one (when onParentFailure is
--   'fail'), else waiting (job:waiting); a missing child has finished; ids "<queue>:<id>" name
--   jobs of other queues. The outcomes of finished children are kept (keepDone).
--   Hot path: completed/failed for a job that never had dependants ("hasDeps") and has no retention
--   code for that outcome ("rc"/"rf", set at enqueue), and retry, write the job hash once (plus the
--   lease HDEL) and defer their index moves to one ZREM/ZADD per index per batch; such a job removed
--   on finishing (retention code '1') is deleted there (its keys, its dedup key) with its event; every other item
--   first applies the deferred moves, then runs the general transition.
-- Returns: { effects, ok1, ok2, ... } with ok = 1 when the token held, else 0.
local now = tonumber(ARGV[4])
-- As text for the hot path's writes: Redis 7.0 formats every number given to redis.call with "%.17g".
local NOW = int(now)
local out = { '' }
local ACTIVE, TTL_SET = Q .. 'active', Q .. 'ttl'
-- The fields the hot path reads per kind (a job hash lookup scans its fields, so fewer is cheaper,
-- and absent ones cost the most): the fence, the index scores, the flags that rule out dependants
-- and retention work, the dedup key a removed job frees (read here rather than by an HGET of its
-- own), and what the event needs when someone listens. Other kinds load() the job.
local HOT = {
  completed = { 'state', 'token', 'seq', 'hasDeps', 'rc', 'dedupKey' },
  failed = { 'state', 'token', 'seq', 'hasDeps', 'rf', 'dedupKey' },
  retry = { 'state', 'token', 'seq', 'ttl', 'createdAt', 'priority' },
}
if EMIT then
  for kind, fields in pairs(HOT) do
    fields[#fields + 1] = 'task'
    if kind ~= 'completed' then fields[#fields + 1] = 'attempts' end
  end
end
local function hot(kind, id)
  local fields = HOT[kind]
  if not fields then return nil end
  local v = redis.call('HMGET', jobKey(id), unpack(fields))
  local j = { id = id, partial = true }
  -- An absent field (false) stays nil, as load() leaves it.
  for k, name in ipairs(fields) do
    if v[k] then j[name] = v[k] end
  end
  j.attempts = tonumber(j.attempts)
  return j
end
for i = 5, #ARGV, 5 do
  local kind, id, token, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local j = hot(kind, id) or load(id)
  if not j or j.state ~= 'active' or j.token ~= token then
    out[#out + 1] = 0
  else
    out[#out + 1] = 1
    local key = jobKey(id)
    local finishing = kind == 'completed' or kind == 'failed'
    local spec = j.rf
    if kind == 'completed' then spec = j.rc end
    if (finishing and not j.hasDeps and (not spec or spec == '1')) or kind == 'retry' then
      -- leave(j) for an active job, deferred.
      deferZrem(ACTIVE, id)
      slotFreed = true
      if finishing and spec == '1' then
        -- Removed on finishing (removeOnComplete / removeOnFail true), without dependants: what
        -- toFinished, settle and retain would do comes to deleteJob's deletions, and the event.
        dropJobData(id, j.dedupKey)
        if EMIT and kind == 'completed' then
          emit('job:completed', id, j.task, ',"result":' .. payload)
        elseif EMIT then
          errorEvent(j, payload)
        end
      elseif finishing then
        -- toFinished(j, kind, now, field, payload); settle and retain have nothing to do.
        deferZadd(Q .. 's:' .. kind, j.seq, id)
        deferZadd(Q .. 'done:' .. kind, NOW, id)
        -- No ttl entry to drop: claim took it out when the job became active.
        local completed = kind == 'completed'
        redis.call('HSET', key, 'state', kind, 'finishedAt', NOW, completed and 'result' or 'error', payload)
        if EMIT and completed then
          emit('job:completed', id, j.task, ',"result":' .. payload)
        elseif EMIT then
          errorEvent(j, payload)
        end
      else
        -- toDelayed(j, runAt) or toWaiting(j), with the error and runAt in the same write.
        local runAt = ARGV[i + 4]
        local to = 'waiting'
        if tonumber(runAt) > now then to = 'delayed' end
        deferZadd(Q .. 's:' .. to, j.seq, id)
        if j.ttl then deferZadd(TTL_SET, j.createdAt + j.ttl, id) end
        local m = nextMember(id)
        if to == 'delayed' then
          deferZadd(Q .. 'delayed', runAt, m)
          wakes.delayed = true
        else
          deferZadd(Q .. 'waiting', j.priority, m)
          wakes.job = true
        end
        redis.call('HSET', key, 'state', to, 'wm', m, 'runAt', runAt, 'error', payload)
        if EMIT then
          emit('job:retrying', id, j.task, ',"error":' .. payload .. ',"attempts":' .. int(j.attempts) ..
            ',"runAt":' .. runAt)
        end
      end
      if not (finishing and spec == '1') then redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt') end
    else
      applyDeferred()
      if j.partial then j = load(id) end
      leave(j)
      if kind == 'completed' then
        toFinished(j, 'completed', now, 'result', payload)
        emit('job:completed', id, j.task, ',"result":' .. payload)
        settle(j, now)
        retain(j, now)
      elseif kind == 'failed' then
        fail(j, payload, now)
      elseif kind == 'expired' then
        j.attempts = j.attempts - 1
        redis.call('HSET', key, 'attempts', j.attempts)
        expire(j, now)
      else
        redis.call('HSET', key, 'attempts', j.attempts - 1)
        redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt')
        if kind == 'released' then
          toWaiting(j)
        elseif kind == 'waiting-children' then
          j.attempts = j.attempts - 1
          redis.call('HSET', key, 'dependsOn', payload)
          local pending, failedParent, done = sortParents(cjson.decode(payload), j.onParentFailure)
          if not failedParent then keepDone(id, done) end
          if failedParent then
            fail(j, parentFailedError(failedParent), now)
          elseif #pending > 0 then
            dependOn(id, pending)
            redis.call('HSET', key, 'pending', #pending, 'state', 'waiting-children')
            enter(j, 'waiting-children')
          else
            toWaiting(j)
            emit('job:waiting', id, j.task)
          end
        else
          local runAt = tonumber(ARGV[i + 4])
          if payload ~= '' then redis.call('HSET', key, 'data', payload) end
          if runAt > now then
            toDelayed(j, runAt)
            emit('job:delayed', id, j.task, ',"runAt":' .. int(runAt))
          else
            redis.call('HSET', key, 'runAt', runAt)
            toWaiting(j)
            emit('job:waiting', id, j.task)
          end
        end
      end
    end
  end
end
applyDeferred()
out[1] = flush()
return out
