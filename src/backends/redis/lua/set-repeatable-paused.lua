-- set-repeatable-paused.lua: pauses or resumes a stored repeatable definition.
-- @include base
-- ARGV (after base's three): [4] id, [5] paused (0/1), [6] new nextRun or ''.
-- Effect: rewrites "<Q>repeat-meta" id -> "<nextRun>|<paused>", keeping nextRun unless given.
-- Returns: 1, or 0 when no definition has that id.
local meta = redis.call('HGET', Q .. 'repeat-meta', ARGV[4])
if not meta then return 0 end
local nextRun = ARGV[6]
if nextRun == '' then nextRun = string.sub(meta, 1, string.find(meta, '|', 1, true) - 1) end
redis.call('HSET', Q .. 'repeat-meta', ARGV[4], nextRun .. '|' .. ARGV[5])
return 1
