-- recover-stalled.lua: returns jobs whose lease expired to the queue, or fails them.
-- @include settle
-- ARGV (after base's three): [4] now, [5] maxStalledCount, [6] the stall error's name, [7] its
--   message as JSON: the text between the job ids, each piece an array of the text between the
--   stall counts (the wording is stallLimitError of shared/rules.ts, passed in so that every engine
--   words it the same).
-- Effect: every active job with leaseExpiresAt < now gets stalledCount + 1 and loses its lease; past
--   maxStalledCount it fails with that error (job:failed, dependants, removeOnFail), else it is
--   waiting again with attempts - 1 (job:stalled, wake "job").
-- Returns: { effects, { { stalled ids }, { failed ids } } }.
local now = tonumber(ARGV[4])
local maxStalled = tonumber(ARGV[5])
local pieces = cjson.decode(ARGV[7])

local function stallError(id, count)
  local parts = {}
  for i, piece in ipairs(pieces) do parts[i] = table.concat(piece, int(count)) end
  return cjson.encode({ name = ARGV[6], message = table.concat(parts, id) })
end

local stalled, failed = {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', Q .. 'active', '-inf', '(' .. ARGV[4])) do
  local j = load(id)
  local key = jobKey(id)
  local count = redis.call('HINCRBY', key, 'stalledCount', 1)
  leave(j)
  if count > maxStalled then
    fail(j, stallError(id, count), now)
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
return { flush(), { stalled, failed } }
