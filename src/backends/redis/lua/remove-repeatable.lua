-- remove-repeatable.lua: deletes a repeatable definition and its last-slot record.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] id.
-- Effect: HDEL from "<Q>repeat", "<Q>repeat-meta" and "<Q>slots".
-- Returns: 1 when a definition or a slot record existed, else 0.
local removed = redis.call('HDEL', Q .. 'repeat', ARGV[3])
redis.call('HDEL', Q .. 'repeat-meta', ARGV[3])
removed = removed + redis.call('HDEL', Q .. 'slots', ARGV[3])
if removed > 0 then return 1 end
return 0
