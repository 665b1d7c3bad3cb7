-- retry: a finished job back to waiting (retry-job.lua, retry-jobs.lua).
-- @include moves
-- Effect: retryFinished() resets attempts, stalledCount and the stall charge, clears
--   error/result/finishedAt, drops the retention entry (leave), and puts the job at the FIFO tail of
--   waiting with job:waiting and wake "job".
-- Defines: retryFinished(j).
local function retryFinished(j)
  local key = jobKey(j.id)
  leave(j)
  redis.call('HSET', key, 'attempts', 0, 'stalledCount', 0)
  redis.call('HDEL', key, 'error', 'result', 'finishedAt', 'stallCharge', 'stallPeers')
  toWaiting(j)
  emit('job:waiting', j.id, j.task)
end
