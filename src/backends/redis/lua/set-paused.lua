-- set-paused.lua: pauses or resumes a queue.
-- @include events
-- ARGV (after base's three): [4] paused (0/1).
-- Effect: sets or deletes "<Q>paused"; the queue joins "<G>queues"; queue:paused or queue:resumed;
--   resuming wakes "resume".
-- Returns: { effects }.
if ARGV[4] == '1' then
  redis.call('SET', Q .. 'paused', '1')
  listQueue(true)
  emit('queue:paused')
else
  redis.call('DEL', Q .. 'paused')
  emit('queue:resumed')
  wakes.resume = true
end
return { flush() }
