-- fire-repeatable.lua: fires one repeatable slot, exactly once across all schedulers.
-- @include insert
-- ARGV (after base's three): [4] repeatId, [5] slot, [6] nextRun, [7] JSON array of parent ids to
--   check, [8] the job as a JSON array of 22 strings (see insert), [9] limit ('' = none).
-- Effect: nothing when slot <= the last slot fired for repeatId, `limit` slots have fired for it
--   ("<Q>slots" holds "<last slot>|<runs>"; a bare "<last slot>" from before runs were kept counts
--   0 runs), or the stored definition is paused. Otherwise enqueues the job as enqueue.lua would
--   (events included), records the slot and one more run, and sets a stored definition's nextRun
--   ("<Q>repeat-meta" holds "<nextRun>|<paused 0/1>").
-- Returns: { effects, job id }, { effects } when nothing fired, or { 'invalid', parentId }.
local repeatId, slot, limit = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[9])
local runs = 0
local last = redis.call('HGET', Q .. 'slots', repeatId)
if last then
  local lastSlot, counted = string.match(last, '^([^|]+)|?(%d*)$')
  runs = tonumber(counted) or 0
  if slot <= tonumber(lastSlot) or (limit and runs >= limit) then return { flush() } end
end
local meta = redis.call('HGET', Q .. 'repeat-meta', repeatId)
if meta and string.sub(meta, -1) == '1' then return { flush() } end
local missing = missingParent(cjson.decode(ARGV[7]))
if missing then return { 'invalid', missing } end
listQueue(true)
local id = insert(cjson.decode(ARGV[8]))
redis.call('HSET', Q .. 'slots', repeatId, ARGV[5] .. '|' .. (runs + 1))
if meta then redis.call('HSET', Q .. 'repeat-meta', repeatId, ARGV[6] .. '|0') end
return { flush(), id }
