-- adjust-rate-tokens.lua: changes the queue-wide token bucket of take-rate-token.lua: refund (tokens
--   given back) and hold (a ceiling that puts the next token a given time away; holdCeiling).
-- @include rate-bucket
-- ARGV (after base's three): [4] now, [5] rate (> 0), [6] intervalMs, [7] add (tokens given back,
--   >= 0), [8] ceiling (the most tokens to leave; rate for no limit).
-- Effect: refills "<Q>rate" to now (see rate-bucket), then sets it to min(rate, tokens + add,
--   ceiling) (adjustedTokens of shared/rules.ts, in Lua).
-- Returns: nothing.
local now, rate, interval = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local add, ceiling = tonumber(ARGV[7]), tonumber(ARGV[8])
local tokens, at = refilledBucket(now, rate, interval)
storeBucket(math.min(rate, tokens + add, ceiling), at)
