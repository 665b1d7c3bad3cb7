-- fire-repeatable.lua: fires one repeatable slot, exactly once across all schedulers.
-- Prepended: lib.lua (insert).
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] repeatId, [4] slot, [5] nextRun, [6] n = parent ids to
--       check, [7 .. 6+n] those ids, then the job's JOB_STRIDE arguments.
-- Effect: nothing when slot <= the last slot fired for repeatId ("<Q>slots") or the stored definition
--   is paused. Otherwise enqueues the job as enqueue.lua would (events included), records the slot,
--   and sets a stored definition's nextRun ("<Q>repeat-meta" holds "<nextRun>|<paused 0/1>").
-- Returns: { events JSON or '', job id } or { '', nil } when nothing fired, or { 'invalid', parentId }.
local repeatId, slot = ARGV[3], tonumber(ARGV[4])
local last = redis.call('HGET', Q .. 'slots', repeatId)
if last and slot <= tonumber(last) then return { '' } end
local meta = redis.call('HGET', Q .. 'repeat-meta', repeatId)
if meta and string.sub(meta, -1) == '1' then return { '' } end
local nParents = tonumber(ARGV[6])
local parents = {}
for i = 1, nParents do parents[i] = ARGV[6 + i] end
local missing = missingParent(parents)
if missing then return { 'invalid', missing } end
redis.call('SADD', G .. 'queues', QUEUE)
local id = insert(6 + nParents)
redis.call('HSET', Q .. 'slots', repeatId, ARGV[4])
if meta then redis.call('HSET', Q .. 'repeat-meta', repeatId, ARGV[5] .. '|0') end
return { flush(), id }
