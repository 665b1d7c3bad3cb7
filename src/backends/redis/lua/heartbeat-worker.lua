-- heartbeat-worker.lua: records a live worker and forgets long-dead ones.
-- A global script: KEYS[1] = key prefix "<prefix>:" (unused here), KEYS[2] = global prefix "<G>".
-- ARGV: [1] worker id, [2] info JSON, [3] heartbeatAt + ttl (visible until), [4] drop
--   registrations visible only until before this time.
-- Effect: "<G>workers" id -> info, "<G>worker-expiry" id -> visible-until; prunes old entries.
-- Returns: 1.
local G = KEYS[2]
redis.call('HSET', G .. 'workers', ARGV[1], ARGV[2])
redis.call('ZADD', G .. 'worker-expiry', ARGV[3], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', G .. 'worker-expiry', '-inf', '(' .. ARGV[4])
if #old > 0 then
  redis.call('HDEL', G .. 'workers', unpack(old))
  redis.call('ZREM', G .. 'worker-expiry', unpack(old))
end
return 1
