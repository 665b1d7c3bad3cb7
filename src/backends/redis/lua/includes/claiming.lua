-- claiming: takes waiting jobs for a worker (claim.lua, and enqueue.lua for an idle worker).
-- @include settle
-- @include deferred
-- @include records
-- Inputs (claimWaiting): now, workerId, limit, leaseMs, token base (random per call; job i gets
--   "<base>.<i>"), the one job id to claim or '', stallPeers (the worker's concurrency, see
--   chargeStall in shared/rules.ts).
-- Effect: unless the queue is paused, and never beyond the room left under its global concurrency
--   ("<Q>global-concurrency" minus the size of the active ZSET), each taken job becomes active
--   (attempts + 1, startedAt, token, workerId, leaseExpiresAt, listed in the active ZSET by lease
--   expiry) with job:started; a job whose ttl passed is expired instead (job:expired, dependants,
--   retention) and the claim goes on. The index moves of the claimed jobs are deferred to one
--   ZREM/ZADD per index per batch (applied before an expiry runs its general transition, and
--   before it returns).
-- Defines: claimWaiting(now, workerId, limit, leaseMs, tokenBase, only, peers).
-- Returns (claimWaiting): a list whose first slot is '' (the caller's, for its effects), then one
--   record per claimed job: a JSON array of the CLAIM_FIELDS values (false when absent; "o" built
--   from the option fields of a job written before it) followed by the token, startedAt, workerId
--   and leaseExpiresAt. One string a job, not a table of replies: measured per record (64 a call),
--   Redis ~1 us less and the Node client's parse ~4 us less (docs/performance.md).
local function claimWaiting(now, workerId, limit, leaseMs, tokenBase, only, peers)
  local leaseUntil = now + leaseMs
  local out = { '' }
  local gate = redis.call('MGET', Q .. 'paused', Q .. 'global-concurrency')
  if gate[1] then return out end
  if gate[2] then
    limit = math.min(limit, tonumber(gate[2]) - redis.call('ZCARD', Q .. 'active'))
    if limit < 1 then return out end
  end

  -- Positions in CLAIM_FIELDS. A job is read with one HMGET of those: its options are one field
  -- ("o"), so the fields asked for are few, and HGETALL would turn every field (the internal ones
  -- too) into a Lua string.
  local STATE, ATTEMPTS, TTL, CREATED, OPTIONS = 4, 6, 7, 8, 18
  local NF = #CLAIM_FIELDS

  local S_WAITING, ACTIVE, TTL_SET = Q .. 's:waiting', Q .. 'active', Q .. 'ttl'
  local startedExtra = ',"workerId":' .. cjson.encode(workerId)
  -- Times as text once: Redis 7.0 formats every number given to redis.call with "%.17g".
  local NOW, LEASE_UNTIL = int(now), int(leaseUntil)

  -- Takes one job already removed from the waiting ZSET; returns its record, or nil when it expired
  -- (storing nil in `out` adds nothing).
  local function take(id)
    local key = jobKey(id)
    local v = redis.call('HMGET', key, unpack(CLAIM_FIELDS))
    if v[STATE] ~= 'waiting' then return nil end
    local ttl = v[TTL]
    if ttl and now >= tonumber(v[CREATED]) + tonumber(ttl) then
      applyDeferred()
      local j = load(id)
      leave(j)
      expire(j, now)
      return nil
    end
    -- leave(j) and enter(j, 'active'), deferred.
    if ttl then deferZrem(TTL_SET, id) end
    deferZrem(S_WAITING, id)
    deferZadd(ACTIVE, LEASE_UNTIL, id)
    local attempts = int(v[ATTEMPTS] + 1)
    local token = tokenBase .. '.' .. int(#out)
    redis.call('HSET', key, 'state', 'active', 'attempts', attempts, 'startedAt', NOW, 'token', token,
      'workerId', workerId, 'leaseExpiresAt', LEASE_UNTIL, 'stallPeers', peers)
    if EMIT then emit('job:started', id, v[2], ',"attempts":' .. attempts .. startedExtra) end
    -- v becomes the record.
    v[STATE] = 'active'
    v[ATTEMPTS] = attempts
    if not v[OPTIONS] then v[OPTIONS] = optionsJson(redis.call('HMGET', key, unpack(OPTION_FIELDS))) end
    v[NF + 1], v[NF + 2], v[NF + 3], v[NF + 4] = token, NOW, workerId, LEASE_UNTIL
    return cjson.encode(v)
  end

  if only ~= '' then
    local wm = redis.call('HGET', jobKey(only), 'wm')
    if wm and redis.call('HGET', jobKey(only), 'state') == 'waiting' then
      redis.call('ZREM', Q .. 'waiting', wm)
      out[2] = take(only)
    end
  else
    while #out - 1 < limit do
      local popped = redis.call('ZPOPMIN', Q .. 'waiting', limit - (#out - 1))
      if #popped == 0 then break end
      for i = 1, #popped, 2 do out[#out + 1] = take(memberId(popped[i])) end
    end
  end
  applyDeferred()
  return out
end
