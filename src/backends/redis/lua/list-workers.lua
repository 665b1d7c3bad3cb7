-- list-workers.lua: the workers whose heartbeat is within their ttl.
-- A global script: KEYS[1] = key prefix "<prefix>:" (unused here), KEYS[2] = global prefix "<G>".
-- ARGV: [1] now.
-- Effect: none.
-- Returns: the info JSON of each worker whose visible-until is after now.
local ids = redis.call('ZRANGEBYSCORE', KEYS[2] .. 'worker-expiry', '(' .. ARGV[1], '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2] .. 'workers', unpack(ids))
