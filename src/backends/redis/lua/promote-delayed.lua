-- promote-delayed.lua: moves delayed jobs to waiting: those due (promoteDelayed, until = now) or
-- any (promoteJobs, until = '+inf').
-- @include moves
-- ARGV (after base's three): [4] now, [5] limit, [6] until.
-- Effect: up to `limit` delayed jobs with runAt <= until, earliest first (equal runAts in the order
--   they became delayed: the member order), become waiting (FIFO tail; a lifo job at the head), job:waiting each, wake
--   "job"; a job promoted before its runAt gets runAt = now. A member whose job is gone or no longer
--   delayed is dropped.
-- Returns: { effects, { promoted count, next due runAt (absent when none) } }.
local now = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', Q .. 'delayed', '-inf', ARGV[6], 'WITHSCORES', 'LIMIT', 0,
  tonumber(ARGV[5]))
local promoted = 0
for i = 1, #due, 2 do
  local m = due[i]
  local j = load(memberId(m))
  -- A member that is a bare id (written before members carried a sequence) names its job itself.
  if not (j and j.wm == m) then j = load(m) end
  if j and j.state == 'delayed' then
    leave(j)
    if tonumber(due[i + 1]) > now then redis.call('HSET', jobKey(j.id), 'runAt', ARGV[4]) end
    -- A lifo job not yet run goes to the head (one delayed by a retry's backoff has run).
    toWaiting(j, j.lifo == '1' and j.attempts == 0)
    emit('job:waiting', j.id, j.task)
    promoted = promoted + 1
  else
    redis.call('ZREM', Q .. 'delayed', m)
  end
end
local nextDue = redis.call('ZRANGE', Q .. 'delayed', 0, 0, 'WITHSCORES')[2]
return { flush(), { promoted, nextDue } }
