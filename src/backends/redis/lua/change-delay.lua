-- change-delay.lua: moves the runAt of a delayed job.
-- @include moves
-- ARGV (after base's three): [4] jobId, [5] runAt.
-- Effect: the job re-enters delayed due at runAt, behind the jobs already due then; job:delayed
--   with runAt, wake "delayed".
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or not delayed.
local j = load(ARGV[4])
if not j or j.state ~= 'delayed' then return { flush(), 0 } end
leave(j)
toDelayed(j, ARGV[5])
emit('job:delayed', j.id, j.task, ',"runAt":' .. ARGV[5])
return { flush(), 1 }
