-- list-workers.lua: the workers whose heartbeat is within their ttl.
-- Prepended: lib.lua (only its key conventions; KEYS[1] is unused here).
-- KEYS: [1] unused, [2] global prefix.
-- ARGV: [1] unused, [2] unused, [3] now.
-- Effect: none.
-- Returns: the info JSON of each worker whose visible-until is after now.
local ids = redis.call('ZRANGEBYSCORE', G .. 'worker-expiry', '(' .. ARGV[3], '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', G .. 'workers', unpack(ids))
