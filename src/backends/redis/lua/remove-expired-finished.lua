-- remove-expired-finished.lua: deletes finished jobs whose retention time passed.
-- @include retention
-- ARGV (after base's three): [4] now, [5] limit.
-- Effect: up to `limit` jobs of the retention ZSET with a removal time <= now are deleted with their
--   logs and dedup keys. Entries leave that ZSET whenever their job leaves its finished state.
-- Returns: how many jobs were deleted.
local due = redis.call('ZRANGEBYSCORE', Q .. 'retention', '-inf', tonumber(ARGV[4]), 'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(due) do
  local j = load(id)
  if j then deleteJob(j) else redis.call('ZREM', Q .. 'retention', id) end
end
return #due
