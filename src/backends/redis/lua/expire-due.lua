-- expire-due.lua: expires unstarted jobs whose ttl passed.
-- @include settle
-- ARGV (after base's three): [4] now, [5] limit.
-- Effect: up to `limit` jobs of the ttl ZSET (waiting, delayed and waiting-children jobs with a ttl,
--   scored createdAt + ttl) due at now become expired (job:expired, dependants, removeOnFail).
-- Returns: { effects, expired count }.
local now = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', Q .. 'ttl', '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
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
