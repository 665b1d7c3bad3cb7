-- obliterate.lua: deletes everything of a queue, one bounded chunk of jobs per call.
-- @include settle
-- ARGV (after base's three): [4] force (0/1), [5] most jobs to delete in this call, [6] now.
-- Effect: without force and with active jobs, nothing (the caller throws activeJobsBlockObliterate
--   of shared/rules.ts). Else deletes up to the limit of job hashes (found in JOB_SETS) with their
--   logs, kept dependency outcomes and dependants lists, first settling the children in OTHER queues still
--   waiting on them as for a removed parent (settle with othersOnly; its own children go with the
--   queue); once no job is left, deletes every queue-level key (indexes, counters, dedup,
--   repeatables, slots, rate bucket, pause flag, global concurrency, metric minutes and totals) and
--   leaves "<G>queues".
--   The caller repeats with force while jobs remain.
-- Returns: { effects, 'active', n } when refused, { effects, 'more' } when jobs remain,
--   { effects, 'done' } when finished.
if ARGV[4] ~= '1' then
  local active = redis.call('ZCARD', Q .. 'active')
  if active > 0 then return { flush(), 'active', active } end
end
local now = tonumber(ARGV[6])
-- Every job is in one of JOB_SETS: take them set by set, up to the limit.
local left = tonumber(ARGV[5])
for _, set in ipairs(JOB_SETS) do
  if left <= 0 then break end
  local ids = redis.call('ZRANGE', Q .. set, 0, left - 1)
  for _, id in ipairs(ids) do
    if redis.call('HGET', jobKey(id), 'hasDeps') then
      settle({ id = id, state = 'removed', hasDeps = true }, now, true)
    end
    redis.call('DEL', jobKey(id), Q .. 'logs:' .. id, Q .. 'deps:' .. id, Q .. 'kept:' .. id)
    redis.call('ZREM', Q .. set, id)
  end
  left = left - #ids
end
if left <= 0 then
  for _, set in ipairs(JOB_SETS) do
    if redis.call('EXISTS', Q .. set) == 1 then return { flush(), 'more' } end
  end
end
-- "jobs": the index of every job that earlier versions kept.
local keys = { 'jobs', 'waiting', 'delayed', 'active', 'retention', 'ttl', 'id', 'seq', 'dedup', 'repeat',
  'repeat-meta', 'slots', 'rate', 'paused', 'global-concurrency', 's:waiting', 's:delayed', 's:active', 's:waiting-children' }
for state in pairs(FINISHED) do
  keys[#keys + 1] = 's:' .. state
  keys[#keys + 1] = 'done:' .. state
end
-- One DEL per minute: a long retention holds more minutes than unpack() can pass at once.
for _, minute in ipairs(redis.call('ZRANGE', Q .. 'metrics-minutes', 0, -1)) do
  redis.call('DEL', Q .. 'metrics:' .. minute)
end
keys[#keys + 1] = 'metrics-minutes'
keys[#keys + 1] = 'metrics-total'
for i, k in ipairs(keys) do keys[i] = Q .. k end
redis.call('DEL', unpack(keys))
listQueue(false)
return { flush(), 'done' }
