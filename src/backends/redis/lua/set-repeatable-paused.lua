-- set-repeatable-paused.lua: pauses or resumes a stored repeatable definition.
-- @include events
-- ARGV (after base's three): [4] id, [5] paused (0/1), [6] new nextRun or ''.
-- Effect: rewrites "<Q>repeat-meta" id -> "<nextRun>|<paused>", keeping nextRun unless given; wakes
--   "delayed" (a resumed definition may be due before the scheduler's next look).
-- Returns: { effects, 1 }, or { effects, 0 } when no definition has that id.
local meta = redis.call('HGET', Q .. 'repeat-meta', ARGV[4])
if not meta then return { flush(), 0 } end
local nextRun = ARGV[6]
if nextRun == '' then nextRun = string.sub(meta, 1, string.find(meta, '|', 1, true) - 1) end
redis.call('HSET', Q .. 'repeat-meta', ARGV[4], nextRun .. '|' .. ARGV[5])
wakes.delayed = true
return { flush(), 1 }
