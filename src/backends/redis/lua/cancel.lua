-- cancel.lua: cancels a job that has not finished.
-- @include settle
-- ARGV (after base's three): [4] now, [5] jobId.
-- Effect: a waiting, delayed, waiting-children or active job becomes cancelled (finishedAt, lease
--   cleared so its worker's writes are fenced out), job:cancelled; dependants as for a failure.
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or finished.
local now = tonumber(ARGV[4])
local j = load(ARGV[5])
if not j or FINISHED[j.state] then return { flush(), 0 } end
leave(j)
toFinished(j, 'cancelled', now)
emit('job:cancelled', j.id, j.task)
settle(j, now)
return { flush(), 1 }
