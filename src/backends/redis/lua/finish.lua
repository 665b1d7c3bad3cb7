-- finish.lua: ends a batch of attempts, each fenced by its lease token.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, then 5 per item: kind (completed | retry | failed |
--       expired | released), jobId, token, payload (result JSON for completed, error JSON for
--       retry/failed, else ''), runAt (retry) or ''.
-- Effect per item, only if the job is active and holds the token (lease fields cleared):
--   completed: result, finishedAt, job:completed, dependants, removeOnComplete.
--   retry: error, runAt; delayed (wake "delayed") or waiting (wake "job"); job:retrying.
--   failed: error, finishedAt, job:failed, dependants, removeOnFail.
--   expired: attempts - 1, finishedAt, job:expired, dependants, removeOnFail.
--   released: attempts - 1, waiting at the FIFO tail, wake "job", no event.
-- Returns: { events JSON or '', ok1, ok2, ... } with ok = 1 when the token held, else 0.
local now = tonumber(ARGV[3])
local out = { '' }
for i = 4, #ARGV, 5 do
  local kind, id, token, payload = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local j = load(id)
  if not j or j.state ~= 'active' or j.token ~= token then
    out[#out + 1] = 0
  else
    out[#out + 1] = 1
    local key = jobKey(id)
    leave(j)
    if kind == 'completed' then
      toFinished(j, 'completed', now, 'result', payload)
      emit('job:completed', id, j.task, ',"result":' .. payload)
      settle(j, now)
      retain(j, now)
    elseif kind == 'retry' then
      local runAt = ARGV[i + 4]
      redis.call('HSET', key, 'error', payload)
      redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt')
      if tonumber(runAt) > now then toDelayed(j, runAt) else
        toWaiting(j)
        redis.call('HSET', key, 'runAt', runAt)
      end
      emit('job:retrying', id, j.task, ',"error":' .. payload .. ',"attempts":' .. int(j.attempts) ..
        ',"runAt":' .. runAt)
    elseif kind == 'failed' then
      fail(j, payload, now)
    elseif kind == 'expired' then
      j.attempts = j.attempts - 1
      redis.call('HSET', key, 'attempts', j.attempts)
      expire(j, now)
    else
      redis.call('HSET', key, 'attempts', j.attempts - 1)
      redis.call('HDEL', key, 'token', 'workerId', 'leaseExpiresAt')
      toWaiting(j)
    end
  end
end
out[1] = flush()
return out
