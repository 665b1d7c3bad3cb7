-- get-dependants.lua: the jobs that still wait on a job.
-- @include base
-- ARGV (after base's three): [4] jobId.
-- Effect: none. Reads the job's dependants list ("<Q>deps:<id>", in creation order; it is consumed
--   when the job finishes) and keeps the children still in waiting-children.
-- Returns: their entries, in creation order: ids of this queue, "<queue>:<id>" for other queues.
-- @flags no-writes
local out = {}
for _, entry in ipairs(redis.call('LRANGE', Q .. 'deps:' .. ARGV[4], 0, -1)) do
  if redis.call('HGET', refKey(entry, 'job:'), 'state') == 'waiting-children' then out[#out + 1] = entry end
end
return out
