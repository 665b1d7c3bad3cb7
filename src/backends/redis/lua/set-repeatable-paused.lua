-- set-repeatable-paused.lua: pauses or resumes a stored repeatable definition.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] id, [4] paused (0/1), [5] new nextRun or ''.
-- Effect: rewrites "<Q>repeat-meta" id -> "<nextRun>|<paused>", keeping nextRun unless given.
-- Returns: 1, or 0 when no definition has that id.
local meta = redis.call('HGET', Q .. 'repeat-meta', ARGV[3])
if not meta then return 0 end
local nextRun = ARGV[5]
if nextRun == '' then nextRun = string.sub(meta, 1, string.find(meta, '|', 1, true) - 1) end
redis.call('HSET', Q .. 'repeat-meta', ARGV[3], nextRun .. '|' .. ARGV[4])
return 1
