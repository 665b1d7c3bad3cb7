-- fire-repeatable.lua: fires one repeatable slot, exactly once across all schedulers.
-- @include insert
-- ARGV (after base's three): [4] repeatId, [5] slot, [6] nextRun, [7] JSON array of parent ids to
--   check, [8] the job as a JSON array of 19 strings (see insert).
-- Effect: nothing when slot <= the last slot fired for repeatId ("<Q>slots") or the stored definition
--   is paused. Otherwise enqueues the job as enqueue.lua would (events included), records the slot,
--   and sets a stored definition's nextRun ("<Q>repeat-meta" holds "<nextRun>|<paused 0/1>").
-- Returns: { effects, job id }, { effects } when nothing fired, or { 'invalid', parentId }.
local repeatId, slot = ARGV[4], tonumber(ARGV[5])
local last = redis.call('HGET', Q .. 'slots', repeatId)
if last and slot <= tonumber(last) then return { flush() } end
local meta = redis.call('HGET', Q .. 'repeat-meta', repeatId)
if meta and string.sub(meta, -1) == '1' then return { flush() } end
local missing = missingParent(cjson.decode(ARGV[7]))
if missing then return { 'invalid', missing } end
redis.call('SADD', G .. 'queues', QUEUE)
local id = insert(cjson.decode(ARGV[8]))
redis.call('HSET', Q .. 'slots', repeatId, ARGV[5])
if meta then redis.call('HSET', Q .. 'repeat-meta', repeatId, ARGV[6] .. '|0') end
return { flush(), id }
