-- upsert-repeatable.lua: stores (or replaces) a durable repeatable definition.
-- @include events
-- ARGV (after base's three): [4] id, [5] definition JSON, [6] nextRun, [7] paused (0/1).
-- Effect: "<Q>repeat" id -> definition, "<Q>repeat-meta" id -> "<nextRun>|<paused>"; the queue joins
--   "<G>queues"; wakes "delayed" (the queue's repeatable scheduler sleeps until its next slot).
-- Returns: { effects, 1 }.
redis.call('HSET', Q .. 'repeat', ARGV[4], ARGV[5])
redis.call('HSET', Q .. 'repeat-meta', ARGV[4], ARGV[6] .. '|' .. ARGV[7])
listQueue(true)
wakes.delayed = true
return { flush(), 1 }
