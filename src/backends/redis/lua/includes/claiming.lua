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
--   record per claimed job: a JSON array of the RECORD_FIELDS values (false when absent) followed by
--   the token. One string a job, not a table of 28 replies: measured per record (64 a call), Redis
--   ~1 us less and the Node client's parse ~4 us less (docs/performance.md).
local function claimWaiting(now, workerId, limit, leaseMs, tokenBase, only, peers)
  local leaseUntil = now + leaseMs
  local out = { '' }
  local gate = redis.call('MGET', Q .. 'paused', Q .. 'global-concurrency')
  if gate[1] then return out end
  if gate[2] then
    limit = math.min(limit, tonumber(gate[2]) - redis.call('ZCARD', Q .. 'active'))
    if limit < 1 then return out end
  end

  local STATE, ATTEMPTS, TTL, CREATED, STARTED, WORKER, LEASE = 4, 6, 9, 11, 13, 24, 25
  local NF = #RECORD_FIELDS
  -- Record position of each RECORD_FIELDS name, built by the first take(): a claim that finds
  -- nothing (an idle worker's) skips it, ~10% of such a call. A job is read with one HGETALL: one
  -- pass over its fields, cheaper than looking up ~30 names of which most are usually absent.
  local POS

  local S_WAITING, ACTIVE, TTL_SET = Q .. 's:waiting', Q .. 'active', Q .. 'ttl'
  local startedExtra = ',"workerId":' .. cjson.encode(workerId)
  -- Times as text once: Redis 7.0 formats every number given to redis.call with "%.17g".
  local NOW, LEASE_UNTIL = int(now), int(leaseUntil)

  -- Takes one job already removed from the waiting ZSET; returns its record, or nil when it expired
  -- (storing nil in `out` adds nothing).
  local function take(id)
    local key = jobKey(id)
    local h = redis.call('HGETALL', key)
    if not POS then
      POS = {}
      for i, name in ipairs(RECORD_FIELDS) do POS[name] = i end
    end
    -- v: the RECORD_FIELDS values (false when absent, as HMGET gives them), then the token. Built
    -- whole by the constructor (one allocation): one slot per RECORD_FIELDS name and one for the
    -- token (test/backends/redis.test.ts counts them). The internal fields are skipped: only an
    -- expiry needs them, and it load()s the job.
    local v = { false, false, false, false, false, false, false, false, false, false, false, false, false,
      false, false, false, false, false, false, false, false, false, false, false, false, false, false, false }
    for i = 1, #h, 2 do
      local p = POS[h[i]]
      if p then v[p] = h[i + 1] end
    end
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
    v[STARTED] = NOW
    v[WORKER] = workerId
    v[LEASE] = LEASE_UNTIL
    v[NF + 1] = token
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
