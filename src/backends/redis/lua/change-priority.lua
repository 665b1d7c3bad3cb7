-- change-priority.lua: sets the priority of a job, in any state.
-- @include moves
-- ARGV (after base's three): [4] jobId, [5] priority.
-- Effect: the job's priority; a waiting job moves to the FIFO tail of its new priority (a new
--   member in "<Q>waiting"). No event, no wake-up: no work became available.
-- Returns: 1 when the job exists, else 0.
local j = load(ARGV[4])
if not j then return 0 end
local key = jobKey(j.id)
redis.call('HSET', key, 'priority', ARGV[5])
if j.state == 'waiting' then
  if j.wm then redis.call('ZREM', Q .. 'waiting', j.wm) end
  local m = nextMember(j.id)
  redis.call('ZADD', Q .. 'waiting', ARGV[5], m)
  redis.call('HSET', key, 'wm', m)
end
return 1
