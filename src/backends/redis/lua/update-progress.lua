-- update-progress.lua: stores a job's progress, fenced by its lease token.
-- @include events
-- ARGV (after base's three): [4] jobId, [5] token, [6] progress JSON.
-- Effect: when the job is active with that token: progress stored, job:progress { progress }.
-- Returns: { effects, 1 } when stored, else { effects, 0 }.
local id, token, progress = ARGV[4], ARGV[5], ARGV[6]
local v = redis.call('HMGET', jobKey(id), 'state', 'token', 'task')
if v[1] ~= 'active' or v[2] ~= token then return { flush(), 0 } end
redis.call('HSET', jobKey(id), 'progress', progress)
emit('job:progress', id, v[3], ',"progress":' .. progress)
return { flush(), 1 }
