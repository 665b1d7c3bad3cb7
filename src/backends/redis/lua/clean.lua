-- clean.lua: deletes up to `limit` jobs of one state that finished (or, unfinished, were created)
-- before a time.
-- @include settle
-- ARGV (after base's three): [4] now, [5] state (never 'active'), [6] olderThan, [7] limit.
-- Effect: finished states: the oldest entries of "<Q>done:<state>" with finishedAt < olderThan.
--   Unfinished states: walks "<Q>s:<state>" in creation order comparing createdAt (admin-only scan).
--   Each is deleted with its logs and dedup key; children still waiting on a deleted job are
--   settled as for a failed parent ("parent job <id> removed").
-- Returns: { effects, the deleted ids }.
local now, state, olderThan, limit = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local ids = {}
if FINISHED[state] then
  ids = redis.call('ZRANGEBYSCORE', Q .. 'done:' .. state, '-inf', '(' .. ARGV[6], 'LIMIT', 0, limit)
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
