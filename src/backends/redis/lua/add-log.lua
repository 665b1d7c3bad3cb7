-- add-log.lua: appends a line to a job's log.
-- @include base
-- ARGV (after base's three): [4] jobId, [5] message.
-- Effect: RPUSH onto "<Q>logs:<id>" when the job exists (a missing job is a no-op).
-- Returns: 1 when appended, else 0.
if redis.call('EXISTS', jobKey(ARGV[4])) == 0 then return 0 end
redis.call('RPUSH', Q .. 'logs:' .. ARGV[4], ARGV[5])
return 1
