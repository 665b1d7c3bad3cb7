-- fire-repeatable.lua: fires one repeatable slot, exactly once across all schedulers.
-- Prepended: lib.lua (insert).
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] repeatId, [4] slot, [5] nextRun, [6] JSON array of
--       parent ids to check, [7] the job as a JSON array of 19 strings (see insert in lib.lua).
-- Effect: nothing when slot <= the last slot fired for repeatId ("<Q>slots") or the stored definition
--   is paused. Otherwise enqueues the job as enqueue.lua would (events included), records the slot,
--   and sets a stored definition's nextRun ("<Q>repeat-meta" holds "<nextRun>|<paused 0/1>").
-- Returns: { events JSON or '', job id } or { '', nil } when nothing fired, or { 'invalid', parentId }.
local repeatId, slot = ARGV[3], tonumber(ARGV[4])
local last = redis.call('HGET', Q .. 'slots', repeatId)
if last and slot <= tonumber(last) then return { '' } end
local meta = redis.call('HGET', Q .. 'repeat-meta', repeatId)
if meta and string.sub(meta, -1) == '1' then return { '' } end
local missing = missingParent(cjson.decode(ARGV[6]))
if missing then return { 'invalid', missing } end
redis.call('SADD', G .. 'queues', QUEUE)
local id = insert(cjson.decode(ARGV[7]))
redis.call('HSET', Q .. 'slots', repeatId, ARGV[4])
if meta then redis.call('HSET', Q .. 'repeat-meta', repeatId, ARGV[5] .. '|0') end
return { flush(), id }
