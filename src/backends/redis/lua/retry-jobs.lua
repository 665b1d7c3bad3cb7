-- retry-jobs.lua: sends a batch of finished jobs of one state back to waiting.
-- @include retry
-- ARGV (after base's three): [4] state (completed, failed, expired or cancelled), [5] olderThan,
--   [6] limit.
-- Effect: the first `limit` entries of "<Q>done:<state>" with finishedAt < olderThan (oldest
--   finished first; which of the jobs that finished in the same ms as the last one taken are taken
--   is the ZSET's member order) each get retryFinished, in (finishedAt, creation) order.
-- Returns: { effects, how many }.
local ids = redis.call('ZRANGEBYSCORE', Q .. 'done:' .. ARGV[4], '-inf', '(' .. ARGV[5], 'WITHSCORES',
  'LIMIT', 0, tonumber(ARGV[6]))
local batch = {}
for i = 1, #ids, 2 do
  local j = load(ids[i])
  if j then
    j.finishedAt = tonumber(ids[i + 1])
    batch[#batch + 1] = j
  end
end
-- Equal finish times in creation order, as the SQL engines order them.
table.sort(batch, function(a, b)
  if a.finishedAt ~= b.finishedAt then return a.finishedAt < b.finishedAt end
  return tonumber(a.seq) < tonumber(b.seq)
end)
for _, j in ipairs(batch) do retryFinished(j) end
return { flush(), #batch }
