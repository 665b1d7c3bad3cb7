-- extend-leases.lua: renews the leases a worker still holds.
-- @include base
-- ARGV (after base's three): [4] now, [5] leaseMs, then pairs: jobId, token.
-- Effect: for each job that is active with that token, leaseExpiresAt = now + leaseMs (hash and the
--   active ZSET). No events.
-- Returns: the ids whose lease is lost (not active, another token, or gone).
local leaseUntil = tonumber(ARGV[4]) + tonumber(ARGV[5])
local lost = {}
for i = 6, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local v = redis.call('HMGET', jobKey(id), 'state', 'token')
  if v[1] == 'active' and v[2] == token then
    redis.call('HSET', jobKey(id), 'leaseExpiresAt', leaseUntil)
    redis.call('ZADD', Q .. 'active', leaseUntil, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
