-- promote-job.lua: runs one delayed job now.
-- @include moves
-- ARGV (after base's three): [4] now, [5] jobId.
-- Effect: delayed -> waiting at the FIFO tail with runAt = now, job:waiting, wake "job".
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or not delayed.
local j = load(ARGV[5])
if not j or j.state ~= 'delayed' then return { flush(), 0 } end
leave(j)
redis.call('HSET', jobKey(j.id), 'runAt', ARGV[4])
toWaiting(j)
emit('job:waiting', j.id, j.task)
return { flush(), 1 }
