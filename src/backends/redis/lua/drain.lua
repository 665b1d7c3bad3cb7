-- drain.lua: deletes waiting (and delayed) jobs, one bounded chunk per call.
-- @include settle
-- ARGV (after base's three): [4] now, [5] include delayed (0/1), [6] most jobs to delete in this
--   call, [7] token of this drain (names its keep set "<Q>drain:<token>").
-- Effect: deletes up to the limit of the oldest waiting, then delayed, jobs (with logs and dedup keys).
--   Children still waiting on them are settled as for a failed parent ("parent job <id> removed").
--   The caller repeats while a call deletes a full chunk, so Redis is never blocked for long;
--   children released by an earlier chunk (kept in the keep set) are not deleted by later ones.
--   The keep set is deleted by the last chunk (and expires, should the caller stop early).
-- Returns: { effects, how many jobs were deleted }.
local now, limit = tonumber(ARGV[4]), tonumber(ARGV[6])
local keep = Q .. 'drain:' .. ARGV[7]
local keeping = redis.call('EXISTS', keep) == 1
local victims = {}
local states = { 'waiting' }
if ARGV[5] == '1' then states[2] = 'delayed' end
for _, state in ipairs(states) do
  local set, offset = Q .. 's:' .. state, 0
  while #victims < limit do
    local page = redis.call('ZRANGE', set, offset, offset + limit - #victims - 1)
    if #page == 0 then break end
    for _, id in ipairs(page) do
      if not (keeping and redis.call('SISMEMBER', keep, id) == 1) then victims[#victims + 1] = load(id) end
    end
    offset = offset + #page
  end
end
removeJobs(victims, now)
if #victims < limit then
  redis.call('DEL', keep)
elseif #released > 0 then
  redis.call('SADD', keep, unpack(released))
  redis.call('PEXPIRE', keep, 3600000)
end
return { flush(), #victims }
