-- list-queues.lua: the queues that have a job, a repeatable or a pause flag.
-- A global script: KEYS[1] = key prefix "<prefix>:" that queue names follow, KEYS[2] = "<G>queues".
--   ARGV: the key suffixes whose existence puts a queue in use (IN_USE_KEYS of queue-registry.ts: its
--   job indexes, repeatables, pause flag). Not on a Redis Cluster with a hash tag per queue
--   (queue-registry.ts does it there).
-- Effect: drops from "<G>queues" the names that have none of those any more.
-- Returns: the names (unsorted).
local names = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local q = KEYS[1] .. name .. ':'
  local keys = {}
  for i, suffix in ipairs(ARGV) do keys[i] = q .. suffix end
  if redis.call('EXISTS', unpack(keys)) > 0 then
    names[#names + 1] = name
  else
    redis.call('SREM', KEYS[2], name)
  end
end
return names
