-- promote-job.lua: runs one delayed job now.
-- @include moves
-- ARGV (after base's three): [4] now, [5] jobId.
-- Effect: delayed -> waiting at the FIFO tail (a lifo job at the head) with runAt = now, job:waiting, wake "job".
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or not delayed.
local j = load(ARGV[5])
if not j or j.state ~= 'delayed' then return { flush(), 0 } end
leave(j)
redis.call('HSET', jobKey(j.id), 'runAt', ARGV[4])
-- A lifo job not yet run goes to the head (one delayed by a retry's backoff has run).
toWaiting(j, j.lifo == '1' and j.attempts == 0)
emit('job:waiting', j.id, j.task)
return { flush(), 1 }
