-- retention: deleting jobs, and removeOnComplete / removeOnFail of a job that just finished.
-- @include moves
-- Effect: deleteJob() deletes a job with its logs, index entries and dedup key; dropJobData() the
--   same but for the index entries (finish.lua's hot path defers those); retain() applies the job's
--   compact retention code rc/rf ("1": delete now, or "<age>|<count>").
-- Defines: deleteJob(j, keepDeps), dropJobData(id, dedupKey, keepDeps), retain(j, now).

-- The job's own keys and its dedup entry (`dedupKey` false or nil: none). With `keepDeps` the
-- dependants list stays, for settle() to consume.
local function dropJobData(id, dedupKey, keepDeps)
  local keys = { jobKey(id), Q .. 'logs:' .. id, Q .. 'kept:' .. id }
  if not keepDeps then keys[4] = Q .. 'deps:' .. id end
  redis.call('DEL', unpack(keys))
  if dedupKey and redis.call('HGET', Q .. 'dedup', dedupKey) == id then
    redis.call('HDEL', Q .. 'dedup', dedupKey)
  end
end

local function deleteJob(j, keepDeps)
  leave(j)
  if j.ttl then redis.call('ZREM', Q .. 'ttl', j.id) end
  dropJobData(j.id, j.dedupKey, keepDeps)
end

local function retain(j, now)
  local spec = j.rf
  if j.state == 'completed' then spec = j.rc end
  if not spec then return end
  if spec == '1' then
    deleteJob(j)
    return
  end
  local sep = string.find(spec, '|', 1, true)
  local age = tonumber(string.sub(spec, 1, sep - 1))
  local count = tonumber(string.sub(spec, sep + 1))
  if age then redis.call('ZADD', Q .. 'retention', now + age, j.id) end
  if count then
    local set = Q .. 'done:' .. j.state
    local over = redis.call('ZCARD', set) - count
    if over > 0 then
      for _, old in ipairs(redis.call('ZRANGE', set, 0, over - 1)) do
        local o = load(old)
        if o then deleteJob(o) end
      end
    end
  end
end
