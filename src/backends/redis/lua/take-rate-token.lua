-- take-rate-token.lua: the queue-wide token bucket.
-- @include base
-- ARGV (after base's three): [4] now, [5] rate (> 0), [6] intervalMs.
-- Effect: "<Q>rate" holds tokens and the last refill time; it starts full (rate tokens) and refills
--   rate tokens per intervalMs continuously, capped at rate (refillTokens and rateWaitMs of
--   shared/rules.ts, in Lua). A clock behind the last caller's refills nothing and moves no time
--   back. Takes one token when at least one is there.
-- Returns: 0 when a token was taken, else the ms until one is available (>= 1).
local now, rate, interval = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local key = Q .. 'rate'
local v = redis.call('HMGET', key, 'tokens', 'at')
local tokens, at = rate, now
if v[1] then
  local last = tonumber(v[2])
  tokens = math.min(rate, tonumber(v[1]) + math.max(0, now - last) * rate / interval)
  at = math.max(now, last)
end
local wait = 0
if tokens >= 1 - 1e-9 then
  tokens = math.max(0, tokens - 1)
else
  wait = math.max(1, math.ceil((1 - tokens) * interval / rate))
end
redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'at', at)
return wait
