-- list-queues.lua: the queues that have a job, a repeatable or a pause flag.
-- Prepended: lib.lua (only its key conventions; KEYS[1] is unused here).
-- KEYS: [1] unused, [2] global prefix.
-- ARGV: [1] key prefix "<prefix>:" that queue names follow, [2] unused.
-- Effect: drops from "<G>queues" the names that have none of those any more.
-- Returns: the names (unsorted).
local names = {}
for _, name in ipairs(redis.call('SMEMBERS', G .. 'queues')) do
  local q = ARGV[1] .. name .. ':'
  if redis.call('ZCARD', q .. 'jobs') > 0 or redis.call('HLEN', q .. 'repeat') > 0
    or redis.call('EXISTS', q .. 'paused') == 1 then
    names[#names + 1] = name
  else
    redis.call('SREM', G .. 'queues', name)
  end
end
return names
