-- update-data.lua: replaces the data of a job, in any state.
-- @include base
-- ARGV (after base's three): [4] jobId, [5] data JSON.
-- Effect: the job's data field, when the job exists (a running attempt keeps the data it was given).
-- Returns: 1 when the job exists, else 0.
if redis.call('EXISTS', jobKey(ARGV[4])) == 0 then return 0 end
redis.call('HSET', jobKey(ARGV[4]), 'data', ARGV[5])
return 1
