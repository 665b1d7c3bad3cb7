-- set-paused.lua: pauses or resumes a queue.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] paused (0/1).
-- Effect: sets or deletes "<Q>paused"; the queue joins "<G>queues"; queue:paused or queue:resumed;
--   resuming wakes "resume".
-- Returns: events JSON or ''.
if ARGV[3] == '1' then
  redis.call('SET', Q .. 'paused', '1')
  redis.call('SADD', G .. 'queues', QUEUE)
  emit('queue:paused')
else
  redis.call('DEL', Q .. 'paused')
  emit('queue:resumed')
  wakes.resume = true
end
return flush()
