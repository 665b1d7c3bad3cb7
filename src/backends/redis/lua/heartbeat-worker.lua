-- heartbeat-worker.lua: records a live worker and forgets long-dead ones.
-- Prepended: lib.lua (only its key conventions; KEYS[1] is unused here).
-- KEYS: [1] unused, [2] global prefix.
-- ARGV: [1] unused, [2] unused, [3] worker id, [4] info JSON, [5] heartbeatAt + ttl (visible until),
--       [6] drop registrations visible only until before this time.
-- Effect: "<G>workers" id -> info, "<G>worker-expiry" id -> visible-until; prunes old entries.
-- Returns: 1.
redis.call('HSET', G .. 'workers', ARGV[3], ARGV[4])
redis.call('ZADD', G .. 'worker-expiry', ARGV[5], ARGV[3])
local old = redis.call('ZRANGEBYSCORE', G .. 'worker-expiry', '-inf', '(' .. ARGV[6])
if #old > 0 then
  redis.call('HDEL', G .. 'workers', unpack(old))
  redis.call('ZREM', G .. 'worker-expiry', unpack(old))
end
return 1
