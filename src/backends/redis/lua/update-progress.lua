-- update-progress.lua: stores a job's progress, fenced by its lease token.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] jobId, [4] token, [5] progress JSON.
-- Effect: when the job is active with that token: progress stored, job:progress { progress }.
-- Returns: { events JSON or '', 1 } when stored, else { '', 0 }.
local id, token, progress = ARGV[3], ARGV[4], ARGV[5]
local v = redis.call('HMGET', jobKey(id), 'state', 'token', 'task')
if v[1] ~= 'active' or v[2] ~= token then return { '', 0 } end
redis.call('HSET', jobKey(id), 'progress', progress)
emit('job:progress', id, v[3], ',"progress":' .. progress)
return { flush(), 1 }
