-- remove-expired-finished.lua: deletes finished jobs whose retention time passed.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] now, [4] limit.
-- Effect: up to `limit` jobs of the retention ZSET with a removal time <= now are deleted with their
--   logs and dedup keys. Entries leave that ZSET whenever their job leaves its finished state.
-- Returns: how many jobs were deleted.
local due = redis.call('ZRANGEBYSCORE', Q .. 'retention', '-inf', tonumber(ARGV[3]), 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(due) do
  local j = load(id)
  if j then deleteJob(j) else redis.call('ZREM', Q .. 'retention', id) end
end
return #due
