-- record-metrics.lua: adds one finish batch's metric rows (MetricStore.record) in one step.
-- @include base
-- ARGV (after base's three): [4] now, [5] retentionMs, [6] the prune cutoff, or '' when this call
--   does not prune; then one group per row: its minute (-1 for the totals), the number n of pairs
--   that follow, then n pairs field, increment (the row's non-zero counters, named as METRIC_COLUMNS
--   of shared/metric-rows.ts).
-- Effect: with a cutoff, deletes the minute hashes "<Q>metrics:<minute>" with minute < cutoff and
--   drops them from "<Q>metrics-minutes". Then HINCRBY of each pair into "<Q>metrics-total" (the
--   totals, never expiring) or the minute's hash, which joins the ZSET "<Q>metrics-minutes" (member
--   and score the minute) and expires a minute after it leaves the retention (by the caller's clock,
--   as a relative PEXPIRE: a safety net for a queue no later call prunes); the ZSET expires with its
--   newest minute. The queue does not join "<G>queues" (metrics alone do not make a queue listed).
-- Returns: 1.
local now, retention, cutoff = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local MINUTE_MS = 60000
local index = Q .. 'metrics-minutes'
if cutoff ~= '' then
  local old = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff)
  for _, minute in ipairs(old) do redis.call('DEL', Q .. 'metrics:' .. minute) end
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. cutoff) end
end
-- Milliseconds from the caller's now until a minute has been out of the retention for a minute.
local function keepFor(minute)
  return int(math.ceil(minute + retention + MINUTE_MS - now))
end
local i = 7
local added = false
while i <= #ARGV do
  local minute, n = ARGV[i], tonumber(ARGV[i + 1])
  local key = Q .. 'metrics-total'
  if minute ~= '-1' then key = Q .. 'metrics:' .. minute end
  for p = i + 2, i + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[p], ARGV[p + 1]) end
  if minute ~= '-1' then
    redis.call('ZADD', index, minute, minute)
    redis.call('PEXPIRE', key, keepFor(tonumber(minute)))
    added = true
  end
  i = i + 2 + 2 * n
end
if added then
  local newest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', index, keepFor(tonumber(newest[2])))
end
return 1
