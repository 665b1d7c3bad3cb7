-- heartbeat-worker.lua: records a live worker and forgets long-dead ones.
-- A global script: KEYS[1] = "<G>workers", KEYS[2] = "<G>worker-expiry".
-- ARGV: [1] worker id, [2] info JSON, [3] heartbeatAt + ttl (visible until), [4] drop
--   registrations visible only until before this time.
-- Effect: "<G>workers" id -> info, "<G>worker-expiry" id -> visible-until; prunes old entries.
-- Returns: 1.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
if #old > 0 then
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return 1
