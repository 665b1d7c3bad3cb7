-- clean.lua: deletes up to `limit` jobs of one state that finished (or, unfinished, were created)
-- before a time.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] state (never 'active'), [4] olderThan, [5] limit.
-- Effect: finished states: the oldest entries of "<Q>done:<state>" with finishedAt < olderThan.
--   Unfinished states: walks "<Q>s:<state>" in creation order comparing createdAt (admin-only scan).
--   Each is deleted with its logs and dedup key.
-- Returns: the deleted ids.
local state, olderThan, limit = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ids = {}
if FINISHED[state] then
  ids = redis.call('ZRANGEBYSCORE', Q .. 'done:' .. state, '-inf', '(' .. ARGV[4], 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do deleteJob(load(id)) end
  return ids
end
local set, offset = Q .. 's:' .. state, 0
local victims = {}
while #victims < limit do
  local page = redis.call('ZRANGE', set, offset, offset + 499)
  if #page == 0 then break end
  for _, id in ipairs(page) do
    if #victims < limit and tonumber(redis.call('HGET', jobKey(id), 'createdAt')) < olderThan then
      victims[#victims + 1] = id
    end
  end
  offset = offset + #page
end
for _, id in ipairs(victims) do
  deleteJob(load(id))
  ids[#ids + 1] = id
end
return ids
