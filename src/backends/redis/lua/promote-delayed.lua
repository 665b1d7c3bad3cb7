-- promote-delayed.lua: moves due delayed jobs to waiting.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] limit.
-- Effect: up to `limit` delayed jobs with runAt <= now, earliest first, become waiting (FIFO tail),
--   job:waiting each, wake "job".
-- Returns: { events JSON or '', promoted count, next due runAt or nil }.
local now = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', Q .. 'delayed', '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(due) do
  local j = load(id)
  leave(j)
  toWaiting(j)
  emit('job:waiting', id, j.task)
end
local nextDue = redis.call('ZRANGE', Q .. 'delayed', 0, 0, 'WITHSCORES')[2]
return { flush(), #due, nextDue }
