-- expire-due.lua: expires unstarted jobs whose ttl passed.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] limit.
-- Effect: up to `limit` jobs of the ttl ZSET (waiting, delayed and waiting-children jobs with a ttl,
--   scored createdAt + ttl) due at now become expired (job:expired, dependants, removeOnFail).
-- Returns: { events JSON or '', expired count }.
local now = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', Q .. 'ttl', '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
local expired = 0
for _, id in ipairs(due) do
  local j = load(id)
  if j and UNSTARTED[j.state] then
    leave(j)
    expire(j, now)
    expired = expired + 1
  else
    redis.call('ZREM', Q .. 'ttl', id)
  end
end
return { flush(), expired }
