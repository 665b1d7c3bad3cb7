-- metric-minutes.lua: the recorded minute rows of a queue in a range (MetricStore.minutes).
-- @include base
-- ARGV (after base's three): [4] from, [5] to (from inclusive, to exclusive).
-- Effect: none (a read in one round trip).
-- Returns: { minute, { field, value, ... } } per minute of "<Q>metrics-minutes" in the range,
--   ascending, from its hash "<Q>metrics:<minute>"; a minute whose hash already expired is left out.
-- @flags no-writes
local rows = {}
for _, minute in ipairs(redis.call('ZRANGEBYSCORE', Q .. 'metrics-minutes', ARGV[4], '(' .. ARGV[5])) do
  local fields = redis.call('HGETALL', Q .. 'metrics:' .. minute)
  if #fields > 0 then rows[#rows + 1] = { minute, fields } end
end
return rows
