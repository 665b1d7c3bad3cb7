-- clean.lua: deletes up to `limit` jobs of one state that finished (or, unfinished, were created)
-- before a time.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] state (never 'active'), [5] olderThan, [6] limit.
-- Effect: finished states: the oldest entries of "<Q>done:<state>" with finishedAt < olderThan.
--   Unfinished states: walks "<Q>s:<state>" in creation order comparing createdAt (admin-only scan).
--   Each is deleted with its logs and dedup key; children still waiting on a deleted job are
--   settled as for a failed parent ("parent job <id> removed").
-- Returns: { events JSON or '', the deleted ids }.
local now, state, olderThan, limit = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local ids = {}
if FINISHED[state] then
  ids = redis.call('ZRANGEBYSCORE', Q .. 'done:' .. state, '-inf', '(' .. ARGV[5], 'LIMIT', 0, limit)
else
  local set, offset = Q .. 's:' .. state, 0
  while #ids < limit do
    local page = redis.call('ZRANGE', set, offset, offset + 499)
    if #page == 0 then break end
    for _, id in ipairs(page) do
      if #ids < limit and tonumber(redis.call('HGET', jobKey(id), 'createdAt')) < olderThan then
        ids[#ids + 1] = id
      end
    end
    offset = offset + #page
  end
end
local victims = {}
for i, id in ipairs(ids) do victims[i] = load(id) end
removeJobs(victims, now)
return { flush(), ids }
