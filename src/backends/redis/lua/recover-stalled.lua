-- recover-stalled.lua: returns jobs whose lease expired to the queue, or fails them.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] maxStalledCount.
-- Effect: every active job with leaseExpiresAt < now gets stalledCount + 1 and loses its lease; past
--   maxStalledCount it fails with JobStalledError (job:failed, dependants, removeOnFail), else it is
--   waiting again with attempts - 1 (job:stalled, wake "job").
-- Returns: { events JSON or '', { stalled ids }, { failed ids } }.
local now = tonumber(ARGV[3])
local maxStalled = tonumber(ARGV[4])
local stalled, failed = {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', Q .. 'active', '-inf', '(' .. ARGV[3])) do
  local j = load(id)
  local key = jobKey(id)
  local count = redis.call('HINCRBY', key, 'stalledCount', 1)
  leave(j)
  if count > maxStalled then
    local err = cjson.encode({ name = 'JobStalledError', message = 'job ' .. id .. ' lost its lease ' .. count ..
      ' times (more than maxStalledCount ' .. maxStalled .. '); its worker stopped renewing it, so it was failed' })
    fail(j, err, now)
    failed[#failed + 1] = id
  else
    j.attempts = j.attempts - 1
    redis.call('HSET', key, 'attempts', j.attempts)
    redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt')
    toWaiting(j)
    emit('job:stalled', id, j.task, ',"attempts":' .. int(j.attempts))
    stalled[#stalled + 1] = id
  end
end
return { flush(), stalled, failed }
