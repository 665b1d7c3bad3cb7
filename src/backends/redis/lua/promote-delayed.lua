-- promote-delayed.lua: moves delayed jobs to waiting: those due (promoteDelayed, until = now) or
-- any (promoteJobs, until = '+inf').
-- @include moves
-- ARGV (after base's three): [4] now, [5] limit, [6] until.
-- Effect: up to `limit` delayed jobs with runAt <= until, earliest first (equal runAts in the order
--   they became delayed: the member order), become waiting (FIFO tail), job:waiting each, wake
--   "job"; a job promoted before its runAt gets runAt = now.
-- Returns: { effects, { promoted count, next due runAt (absent when none) } }.
local now = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', Q .. 'delayed', '-inf', ARGV[6], 'WITHSCORES', 'LIMIT', 0,
  tonumber(ARGV[5]))
for i = 1, #due, 2 do
  local j = load(memberId(due[i]))
  leave(j)
  if tonumber(due[i + 1]) > now then redis.call('HSET', jobKey(j.id), 'runAt', ARGV[4]) end
  toWaiting(j)
  emit('job:waiting', j.id, j.task)
end
local nextDue = redis.call('ZRANGE', Q .. 'delayed', 0, 0, 'WITHSCORES')[2]
return { flush(), { #due / 2, nextDue } }
