-- remove-repeatable.lua: deletes a repeatable definition and its last-slot record.
-- @include base
-- ARGV (after base's three): [4] id.
-- Effect: HDEL from "<Q>repeat", "<Q>repeat-meta" and "<Q>slots".
-- Returns: 1 when a definition or a slot record existed, else 0.
local removed = redis.call('HDEL', Q .. 'repeat', ARGV[4])
redis.call('HDEL', Q .. 'repeat-meta', ARGV[4])
removed = removed + redis.call('HDEL', Q .. 'slots', ARGV[4])
if removed > 0 then return 1 end
return 0
