-- enqueue.lua: inserts a batch of jobs (or one chunk of a large batch).
-- Prepended: lib.lua (insert, duplicate and dedup rules, dependants).
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] role: 'only' (the whole batch), or for a batch split
--       into chunks sent in one MULTI: 'first', 'next', 'last'; [4] batch gate id; [5] n = number of
--       parent ids to check, [6 .. 5+n] those ids (dependsOn ids not created earlier in the batch;
--       'only' and 'first' check them); then JOB_STRIDE arguments per job (see lib.lua).
-- Effect: 'only'/'first' first check that every listed parent exists and write nothing otherwise;
--   'first' then sets the gate key "<Q>batch:<id>", which 'next'/'last' require ('last' deletes it),
--   so a rejected first chunk rejects the whole MULTI. Each job: a duplicate (custom id exists, or a
--   live dedup key) inserts nothing (job:duplicated); else the job is stored and becomes
--   waiting-children, failed (a failed parent), delayed (job:delayed, wake "delayed") or waiting
--   (job:waiting, wake "job"). The queue joins "<G>queues".
-- Returns: { 'ok', events JSON or '', id1, state1, duplicate1 (0/1), ... }, or { 'invalid', parentId },
--   or { 'aborted' } when the gate is missing.
local role, gate = ARGV[3], Q .. 'batch:' .. ARGV[4]
local nParents = tonumber(ARGV[5])
if role == 'only' or role == 'first' then
  local parents = {}
  for i = 1, nParents do parents[i] = ARGV[5 + i] end
  local missing = missingParent(parents)
  if missing then return { 'invalid', missing } end
  if role == 'first' then redis.call('SET', gate, '1', 'PX', 600000) end
elseif redis.call('EXISTS', gate) == 0 then
  return { 'aborted' }
end
if role == 'last' then redis.call('DEL', gate) end
redis.call('SADD', G .. 'queues', QUEUE)
local out = { 'ok', '' }
for base = 5 + nParents, #ARGV - 1, JOB_STRIDE do
  local id, state, duplicate = insert(base)
  out[#out + 1] = id
  out[#out + 1] = state
  out[#out + 1] = duplicate
end
out[2] = flush()
return out
