-- get-jobs.lua: one page of jobs in creation order, optionally filtered by state.
-- @include base
-- @include records
-- ARGV (after base's three): [4] start, [5] end (-1: to the end), [6] '1' for oldest first,
--   [7..] states (none: every state).
-- Effect: none. One state: a range of "<Q>s:<state>". Several, or none (every state: JOB_SETS): the
--   indexes' entries merged by creation sequence (their score). A page ending within the first DEEP
--   reads the first end+1 entries of each index; a deeper one first finds the sequences of its first
--   and last entries by bisection on ZCOUNTs (about 40 rounds of one ZCOUNT an index) and reads only
--   the entries between them, so a page deep in a long history costs about what the first one does.
--   Active jobs have no such index (moves.lua): they are read from "<Q>active" with their sequence
--   (a worker holds at most its concurrency and prefetch of them).
-- Returns: the records (RECORD_FIELDS values each).
-- @flags no-writes
local start, stop, asc = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
-- Pages ending further in than this find their bounds by bisection (see Effect).
local DEEP = 1000
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
  -- Active jobs with their sequence; the other indexes by key.
  local active, keys = {}, {}
  for _, set in ipairs(sets) do
    if set == 'active' then
      for _, id in ipairs(redis.call('ZRANGE', Q .. 'active', 0, -1)) do
        local seq = redis.call('HGET', jobKey(id), 'seq')
        if seq then active[#active + 1] = { id, tonumber(seq) } end
      end
    else
      keys[#keys + 1] = Q .. set
    end
  end
  -- Whether sequence a comes before b in the page order.
  local function ahead(a, b)
    if asc then return a < b end
    return a > b
  end
  local merged = {}
  if stop >= DEEP then
    local maxSeq = tonumber(redis.call('GET', Q .. 'seq') or '0')
    -- The entries at or ahead of sequence s.
    local function upTo(s)
      local n = 0
      for _, key in ipairs(keys) do
        if asc then n = n + redis.call('ZCOUNT', key, '-inf', s) else n = n + redis.call('ZCOUNT', key, s, '+inf') end
      end
      for _, a in ipairs(active) do
        if a[2] == s or ahead(a[2], s) then n = n + 1 end
      end
      return n
    end
    -- The sequence of the entry at rank r (0-based), or nil when there are r or fewer.
    local function seqAt(r)
      if upTo(asc and maxSeq or 1) < r + 1 then return nil end
      local lo, hi = 1, maxSeq
      while lo < hi do
        if asc then
          local mid = math.floor((lo + hi) / 2)
          if upTo(mid) >= r + 1 then hi = mid else lo = mid + 1 end
        else
          local mid = math.floor((lo + hi + 1) / 2)
          if upTo(mid) >= r + 1 then lo = mid else hi = mid - 1 end
        end
      end
      return lo
    end
    local first = seqAt(start)
    if first then
      local last = seqAt(stop) or (asc and maxSeq or 1)
      local low, high = first, last
      if not asc then low, high = last, first end
      for _, key in ipairs(keys) do
        local r = redis.call('ZRANGEBYSCORE', key, low, high, 'WITHSCORES')
        for k = 1, #r, 2 do merged[#merged + 1] = { r[k], tonumber(r[k + 1]) } end
      end
      for _, a in ipairs(active) do
        if a[2] >= low and a[2] <= high then merged[#merged + 1] = a end
      end
      start, stop = 0, #merged - 1
    end
  else
    for _, key in ipairs(keys) do
      local r = range(key, 0, stop)
      for k = 1, #r, 2 do merged[#merged + 1] = { r[k], tonumber(r[k + 1]) } end
    end
    for _, a in ipairs(active) do merged[#merged + 1] = a end
  end
  table.sort(merged, function(x, y) return ahead(x[2], y[2]) end)
  local last = #merged
  if stop >= 0 and stop + 1 < last then last = stop + 1 end
  for i = start + 1, last do ids[#ids + 1] = merged[i][1] end
end
local out = {}
for i, id in ipairs(ids) do out[i] = redis.call('HMGET', jobKey(id), unpack(RECORD_FIELDS)) end
return out
