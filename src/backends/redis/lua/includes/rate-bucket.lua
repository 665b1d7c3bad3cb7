-- rate-bucket: the queue-wide token bucket "<Q>rate" (tokens, at: the last refill time).
-- @include base
-- Defines: RATE_KEY, refilledBucket(now, rate, interval) -> tokens, at: the bucket refilled
--   continuously to now, capped at rate (refillTokens of shared/rules.ts, in Lua); a bucket never
--   used is full; a clock behind the last caller's refills nothing and moves no time back.
--   storeBucket(tokens, at) writes it.
-- @begin beginRateBucket
local RATE_KEY

local function beginRateBucket()
  RATE_KEY = Q .. 'rate'
end

local function refilledBucket(now, rate, interval)
  local v = redis.call('HMGET', RATE_KEY, 'tokens', 'at')
  if not v[1] then return rate, now end
  local last = tonumber(v[2])
  return math.min(rate, tonumber(v[1]) + math.max(0, now - last) * rate / interval), math.max(now, last)
end

local function storeBucket(tokens, at)
  redis.call('HSET', RATE_KEY, 'tokens', string.format('%.17g', tokens), 'at', at)
end
