-- drain.lua: deletes waiting (and delayed) jobs, one bounded chunk per call.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] include delayed (0/1), [4] most jobs to delete in this call.
-- Effect: deletes up to the limit of the oldest waiting, then delayed, jobs (with logs and dedup keys).
--   The caller repeats while a call deletes a full chunk, so Redis is never blocked for long.
-- Returns: how many jobs were deleted.
local limit = tonumber(ARGV[4])
local removed = 0
local states = { 'waiting' }
if ARGV[3] == '1' then states[2] = 'delayed' end
for _, state in ipairs(states) do
  if removed < limit then
    for _, id in ipairs(redis.call('ZRANGE', Q .. 's:' .. state, 0, limit - removed - 1)) do
      deleteJob(load(id))
      removed = removed + 1
    end
  end
end
return removed
