-- retry-job.lua: sends a dead job (failed, expired, cancelled) back to waiting.
-- @include moves
-- ARGV (after base's three): [4] jobId.
-- Effect: attempts 0, stalledCount 0, stall charge cleared, error/result/finishedAt cleared,
--   retention entry dropped, waiting at the FIFO tail, job:waiting, wake "job".
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or not dead.
local j = load(ARGV[4])
if not j or not FINISHED[j.state] or j.state == 'completed' then return { flush(), 0 } end
local key = jobKey(j.id)
leave(j)
redis.call('HSET', key, 'attempts', 0, 'stalledCount', 0)
redis.call('HDEL', key, 'error', 'result', 'finishedAt', 'stallCharge', 'stallPeers')
toWaiting(j)
emit('job:waiting', j.id, j.task)
return { flush(), 1 }
