-- promote-delayed.lua: moves due delayed jobs to waiting.
-- @include moves
-- ARGV (after base's three): [4] now, [5] limit.
-- Effect: up to `limit` delayed jobs with runAt <= now, earliest first (equal runAts in the order
--   they became delayed: the member order), become waiting (FIFO tail), job:waiting each, wake "job".
-- Returns: { effects, { promoted count, next due runAt (absent when none) } }.
local now = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', Q .. 'delayed', '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
for _, m in ipairs(due) do
  local id = memberId(m)
  local j = load(id)
  leave(j)
  toWaiting(j)
  emit('job:waiting', id, j.task)
end
local nextDue = redis.call('ZRANGE', Q .. 'delayed', 0, 0, 'WITHSCORES')[2]
return { flush(), { #due, nextDue } }
