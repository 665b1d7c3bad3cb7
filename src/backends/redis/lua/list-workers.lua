-- list-workers.lua: the workers whose heartbeat is within their ttl.
-- A global script: KEYS[1] = "<G>workers", KEYS[2] = "<G>worker-expiry".
-- ARGV: [1] now.
-- Effect: none.
-- Returns: the info JSON of each worker whose visible-until is after now.
-- @flags no-writes
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))
