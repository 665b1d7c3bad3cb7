-- retry-job.lua: sends a dead job (failed, expired, cancelled) back to waiting.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] jobId.
-- Effect: attempts 0, stalledCount 0, error/result/finishedAt cleared, retention entry dropped,
--   waiting at the FIFO tail, job:waiting, wake "job".
-- Returns: { events JSON or '', 1 }, or { '', 0 } when the job is missing or not dead.
local j = load(ARGV[3])
if not j or not FINISHED[j.state] or j.state == 'completed' then return { '', 0 } end
local key = jobKey(j.id)
leave(j)
redis.call('HSET', key, 'attempts', 0, 'stalledCount', 0)
redis.call('HDEL', key, 'error', 'result', 'finishedAt')
toWaiting(j)
emit('job:waiting', j.id, j.task)
return { flush(), 1 }
