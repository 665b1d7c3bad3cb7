-- get-jobs.lua: one page of jobs in creation order, optionally filtered by state.
-- @include base
-- @include records
-- ARGV (after base's three): [4] start, [5] end (-1: to the end), [6] '1' for oldest first,
--   [7..] states (none: every state).
-- Effect: none. One state: a range of "<Q>s:<state>". Several, or none (every state: JOB_SETS): the
--   first end+1 entries of each state's index, merged by creation sequence (bounded by the page end).
--   Active jobs have no such index (moves.lua): they are read from "<Q>active" with their sequence
--   and sorted (a worker holds at most its concurrency and prefetch of them).
-- Returns: the records (RECORD_FIELDS values each).
-- @flags no-writes
local start, stop, asc = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local function range(key, from, to)
  if asc then return redis.call('ZRANGE', key, from, to, 'WITHSCORES') end
  return redis.call('ZREVRANGE', key, from, to, 'WITHSCORES')
end
-- The indexes to read: "active" or "s:<state>".
local sets = {}
for i = 7, #ARGV do sets[#sets + 1] = ARGV[i] == 'active' and 'active' or 's:' .. ARGV[i] end
if #sets == 0 then sets = JOB_SETS end
local ids = {}
if #sets == 1 and sets[1] ~= 'active' then
  local r = range(Q .. sets[1], start, stop)
  for i = 1, #r, 2 do ids[#ids + 1] = r[i] end
else
  local merged = {}
  for _, set in ipairs(sets) do
    if set == 'active' then
      for _, id in ipairs(redis.call('ZRANGE', Q .. 'active', 0, -1)) do
        local seq = redis.call('HGET', jobKey(id), 'seq')
        if seq then merged[#merged + 1] = { id, tonumber(seq) } end
      end
    else
      local r = range(Q .. set, 0, stop)
      for k = 1, #r, 2 do merged[#merged + 1] = { r[k], tonumber(r[k + 1]) } end
    end
  end
  table.sort(merged, function(x, y)
    if asc then return x[2] < y[2] end
    return x[2] > y[2]
  end)
  local last = #merged
  if stop >= 0 and stop + 1 < last then last = stop + 1 end
  for i = start + 1, last do ids[#ids + 1] = merged[i][1] end
end
local out = {}
for i, id in ipairs(ids) do out[i] = redis.call('HMGET', jobKey(id), unpack(RECORD_FIELDS)) end
return out
