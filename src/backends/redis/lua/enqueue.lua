-- enqueue.lua: inserts a batch of jobs (or one chunk of a large batch).
-- Prepended: lib.lua (insert, duplicate and dedup rules, dependants).
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] role: 'only' (the whole batch), or for a batch split
--       into chunks sent in one MULTI: 'first', 'next', 'last'; [4] batch gate id; [5] JSON array of
--       parent ids to check (dependsOn ids not created earlier in the batch; 'only' and 'first'
--       check them); [6] JSON array of jobs, each an array of 19 strings (see insert in lib.lua).
--       One JSON argument per chunk keeps client encoding and Redis argument parsing cheap.
-- Effect: 'only'/'first' first check that every listed parent exists and write nothing otherwise;
--   'first' then sets the gate key "<Q>batch:<id>", which 'next'/'last' require ('last' deletes it),
--   so a rejected first chunk rejects the whole MULTI. Each job: a duplicate (custom id exists, or a
--   live dedup key) inserts nothing (job:duplicated); else the job is stored and becomes
--   waiting-children, failed (a failed parent), delayed (job:delayed, wake "delayed") or waiting
--   (job:waiting, wake "job"). The queue joins "<G>queues".
-- Returns: { 'ok', events JSON or '', id1, state1, duplicate1 (0/1), ... }, or { 'invalid', parentId },
--   or { 'aborted' } when the gate is missing.
local role, gate = ARGV[3], Q .. 'batch:' .. ARGV[4]
if role == 'only' or role == 'first' then
  local missing = missingParent(cjson.decode(ARGV[5]))
  if missing then return { 'invalid', missing } end
  if role == 'first' then redis.call('SET', gate, '1', 'PX', 600000) end
elseif redis.call('EXISTS', gate) == 0 then
  return { 'aborted' }
end
if role == 'last' then redis.call('DEL', gate) end
redis.call('SADD', G .. 'queues', QUEUE)
local out = { 'ok', '' }
for _, job in ipairs(cjson.decode(ARGV[6])) do
  local id, state, duplicate = insert(job)
  out[#out + 1] = id
  out[#out + 1] = state
  out[#out + 1] = duplicate
end
out[2] = flush()
return out
