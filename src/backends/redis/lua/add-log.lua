-- add-log.lua: appends a line to a job's log.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] jobId, [4] message.
-- Effect: RPUSH onto "<Q>logs:<id>" when the job exists (a missing job is a no-op).
-- Returns: 1 when appended, else 0.
if redis.call('EXISTS', jobKey(ARGV[3])) == 0 then return 0 end
redis.call('RPUSH', Q .. 'logs:' .. ARGV[3], ARGV[4])
return 1
