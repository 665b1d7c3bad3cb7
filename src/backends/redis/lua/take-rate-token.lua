-- take-rate-token.lua: the queue-wide token bucket.
-- @include rate-bucket
-- ARGV (after base's three): [4] now, [5] rate (> 0), [6] intervalMs.
-- Effect: "<Q>rate" starts full (rate tokens) and refills rate tokens per intervalMs continuously,
--   capped at rate (see rate-bucket; rateWaitMs of shared/rules.ts, in Lua). Takes one token when
--   at least one is there.
-- Returns: 0 when a token was taken, else the ms until one is available (>= 1).
local now, rate, interval = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local tokens, at = refilledBucket(now, rate, interval)
local wait = 0
if tokens >= 1 - 1e-9 then
  tokens = math.max(0, tokens - 1)
else
  wait = math.max(1, math.ceil((1 - tokens) * interval / rate))
end
storeBucket(tokens, at)
return wait
