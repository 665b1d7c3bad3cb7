-- upsert-repeatable.lua: stores (or replaces) a durable repeatable definition.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] id, [4] definition JSON, [5] nextRun, [6] paused (0/1).
-- Effect: "<Q>repeat" id -> definition, "<Q>repeat-meta" id -> "<nextRun>|<paused>"; the queue joins
--   "<G>queues".
-- Returns: 1.
redis.call('HSET', Q .. 'repeat', ARGV[3], ARGV[4])
redis.call('HSET', Q .. 'repeat-meta', ARGV[3], ARGV[5] .. '|' .. ARGV[6])
redis.call('SADD', G .. 'queues', QUEUE)
return 1
