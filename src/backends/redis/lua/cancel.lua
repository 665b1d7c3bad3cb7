-- cancel.lua: cancels a job that has not finished.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] jobId.
-- Effect: a waiting, delayed, waiting-children or active job becomes cancelled (finishedAt, lease
--   cleared so its worker's writes are fenced out), job:cancelled; dependants as for a failure.
-- Returns: { events JSON or '', 1 }, or { '', 0 } when the job is missing or finished.
local now = tonumber(ARGV[3])
local j = load(ARGV[4])
if not j or FINISHED[j.state] then return { '', 0 } end
leave(j)
toFinished(j, 'cancelled', now)
emit('job:cancelled', j.id, j.task)
settle(j, now)
return { flush(), 1 }
