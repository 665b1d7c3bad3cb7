-- recover-stalled.lua: returns jobs whose lease lapsed to the queue, or fails them, by the stall rule
-- of shared/rules.ts (chargeStall, planStallSweep; this script mirrors them).
-- @include settle
-- ARGV (after base's three): [4] now, [5] maxStalledCount, [6] the stall error's name, [7] its
--   message as JSON: an array alternating literal text and the name of a part to fill in ('id',
--   'count' or 'charge'); the wording is stallLimitText of shared/rules.ts, passed in so that every
--   engine words it the same.
-- Effect: each active job with leaseExpiresAt < now marks its worker dead. Every dead worker's jobs
--   whose lease still runs get stallPeers = max(stallPeers, N), N = the active jobs that worker
--   holds. Each lapsed job gets stalledCount + 1 and stallCharge + 1/max(N, stallPeers) (stallPeers:
--   its worker's concurrency, stored by claim.lua, or more found by an earlier sweep) and loses
--   its lease; with stallCharge past maxStalledCount (+ 1e-9, STALL_SLACK) it fails with that error
--   (job:failed, dependants, removeOnFail), else it is waiting again with attempts - 1 (job:stalled,
--   wake "job").
-- Returns: { effects, { { stalled ids }, { failed ids }, the earliest lease expiry of the jobs still
--   active after the sweep ('' when none: the sweeper's next look) } }.
local now = tonumber(ARGV[4])
local maxStalled = tonumber(ARGV[5])
local parts = cjson.decode(ARGV[7])
local SLACK = 1e-9

local function stallError(id, count, charge)
  -- formatCharge of rules.ts: two decimals at most, rounded up; tostring gives the shortest text.
  local values = { id = id, count = int(count), charge = tostring(math.ceil(charge * 100) / 100) }
  local out = {}
  for i, part in ipairs(parts) do out[i] = (i % 2 == 0) and values[part] or part end
  return cjson.encode({ name = ARGV[6], message = table.concat(out) })
end

local function nextExpiry()
  return redis.call('ZRANGE', Q .. 'active', 0, 0, 'WITHSCORES')[2] or ''
end

local lapsed = redis.call('ZRANGEBYSCORE', Q .. 'active', '-inf', '(' .. ARGV[4])
if #lapsed == 0 then return { flush(), { {}, {}, nextExpiry() } } end

-- The active jobs per worker, lapsed or not ('' for none).
local workerOf, held, isLapsed, dead = {}, {}, {}, {}
for _, id in ipairs(redis.call('ZRANGE', Q .. 'active', 0, -1)) do
  local w = redis.call('HGET', jobKey(id), 'workerId') or ''
  workerOf[id] = w
  held[w] = (held[w] or 0) + 1
end
for _, id in ipairs(lapsed) do
  isLapsed[id] = true
  dead[workerOf[id]] = held[workerOf[id]] or 1
end
for id, w in pairs(workerOf) do
  local n = dead[w]
  if n and not isLapsed[id] then
    local key = jobKey(id)
    if n > (tonumber(redis.call('HGET', key, 'stallPeers')) or 0) then redis.call('HSET', key, 'stallPeers', n) end
  end
end

local stalled, failed = {}, {}
for _, id in ipairs(lapsed) do
  local j = load(id)
  local key = jobKey(id)
  local f = redis.call('HMGET', key, 'stalledCount', 'stallCharge', 'stallPeers')
  local n = math.max(1, dead[workerOf[id]], tonumber(f[3]) or 0)
  local count = (tonumber(f[1]) or 0) + 1
  local charge = (tonumber(f[2]) or 0) + 1 / n
  -- %.17g keeps the double exact, so the next sweep adds to the same value the other engines hold.
  redis.call('HSET', key, 'stalledCount', count, 'stallCharge', string.format('%.17g', charge))
  redis.call('HDEL', key, 'stallPeers')
  leave(j)
  if charge > maxStalled + SLACK then
    fail(j, stallError(id, count, charge), now)
    failed[#failed + 1] = id
  else
    j.attempts = j.attempts - 1
    redis.call('HSET', key, 'attempts', j.attempts)
    redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt')
    toWaiting(j)
    emit('job:stalled', id, j.task, ',"attempts":' .. int(j.attempts))
    stalled[#stalled + 1] = id
  end
end
return { flush(), { stalled, failed, nextExpiry() } }
