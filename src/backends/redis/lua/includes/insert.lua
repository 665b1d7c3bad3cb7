-- insert: adding a job (enqueue.lua, fire-repeatable.lua).
-- @include settle
-- @include deferred
-- Inputs: a job as a JSON array of 23 strings ('' = absent): id, task, data, priority, maxRetries,
--   backoff, ttl, timeout, createdAt, runAt, dependsOn (JSON), onParentFailure, removeOnComplete
--   (JSON), removeOnFail (JSON), rc, rf, inherit (JSON), dedupKey, dedupTtl, dedupExtend ('1'),
--   dedupReplace ('1'), lifo ('1': kept as the hash's "lifo"; a waiting lifo job goes to the head
--   of its priority), traceContext (JSON: the producer's trace context, kept as is) (see jobArgs
--   in records.ts).
-- Effect: insert() returns the existing job a new one duplicates (same custom id, or a live dedup
--   key; job:duplicated), or stores the job in its first state: failed (a failed parent, with
--   ParentFailedError), waiting-children, delayed (job:delayed, wake "delayed") or waiting
--   (job:waiting, wake "job"). The dedup rule is dedupHolds of shared/rules.ts. A key's ttl window
--   starts at its holder's "dedupAt" field (set by a duplicate with extend), else its createdAt.
--   With dedupReplace, a delayed holder is removed (removeJobs) and the job inserted in its place
--   (dedupReplaces of shared/rules.ts).
--   insert(a, true) (enqueue.lua's batches) defers the index writes of a plain job (no dependsOn,
--   no dedup key: its insert reads no index) to applyDeferred(), and counts its id and sequence
--   locally (one GET and one SET of "<Q>id" and "<Q>seq" per batch, not an INCR each); the caller
--   runs insertsDone() before its flush(). Any other job runs insertsDone() first. A plain job
--   without a custom id given the very table of the plain job inserted before it (enqueue.lua's
--   entries "as the job before, but for its data") reuses that job's hash fields, changing its
--   id, data, seq and member only.
-- Defines: missingParent(parents), insert(a, defer), insertsDone().
-- Returns (insert): id, state, duplicate (0/1).
local OPTIONAL_FIELDS = { [6] = 'backoff', [7] = 'ttl', [8] = 'timeout', [10] = 'runAt', [11] = 'dependsOn',
  [12] = 'onParentFailure', [13] = 'removeOnComplete', [14] = 'removeOnFail', [15] = 'rc', [16] = 'rf',
  [17] = 'inherit', [18] = 'dedupKey' }

-- The first parent (not created earlier in the batch; "<queue>:<id>" for other queues) that does
-- not exist, or nil.
local function missingParent(parents)
  for _, p in ipairs(parents) do
    if redis.call('EXISTS', refKey(p, 'job:')) == 0 then return p end
  end
  return nil
end

-- The existing job a new one duplicates, as id, state, task; a dedup duplicate with extend
-- restarts the key's ttl window.
local function duplicateOf(id, createdAt, dedupKey, dedupTtl, dedupExtend)
  if id ~= '' then
    local same = redis.call('HMGET', jobKey(id), 'state', 'task')
    if same[1] then return id, same[1], same[2] end
  end
  if dedupKey == '' then return nil end
  local holder = redis.call('HGET', Q .. 'dedup', dedupKey)
  if not holder then return nil end
  local h = redis.call('HMGET', jobKey(holder), 'state', 'task', 'createdAt', 'dedupAt')
  if not h[1] then return nil end
  local live = not FINISHED[h[1]]
  if dedupTtl ~= '' then live = tonumber(createdAt) - tonumber(h[4] or h[3]) < tonumber(dedupTtl) end
  if not live then return nil end
  if dedupExtend ~= '' then redis.call('HSET', jobKey(holder), 'dedupAt', createdAt) end
  return holder, h[1], h[2]
end

-- The counters of deferred inserts: last id and sequence given (nil until read), written back by
-- insertsDone(); and the args table and hash fields of the last plain job with a generated id,
-- which the next job given the same table reuses.
-- @begin beginInsert
local lastId, lastSeq, lastArgs, lastFields

local function beginInsert()
  lastId, lastSeq, lastArgs, lastFields = nil, nil, nil, nil
end

local function insertsDone()
  applyDeferred()
  if lastSeq then redis.call('SET', Q .. 'seq', int(lastSeq)) end
  if lastId then redis.call('SET', Q .. 'id', int(lastId)) end
  lastId, lastSeq, lastArgs, lastFields = nil, nil, nil, nil
end

-- Position of the id, data, seq and state values in a job's hash fields (see insert); its member
-- ('wm') is the last value.
local ID_AT, DATA_AT, SEQ_AT, STATE_AT = 2, 6, 18, 20

-- The deferred index writes and the event of a plain job stored in `state` (waiting or delayed).
local function indexPlain(a, id, seq, state, wm)
  deferZadd(Q .. 's:' .. state, seq, id)
  if a[7] ~= '' then deferZadd(Q .. 'ttl', int(a[9] + a[7]), id) end
  if state == 'delayed' then
    deferZadd(Q .. 'delayed', a[10], wm)
    wakes.delayed = true
    emit('job:delayed', id, a[2], ',"runAt":' .. a[10])
  else
    deferZadd(Q .. 'waiting', a[4], wm)
    wakes.job = true
    emit('job:waiting', id, a[2])
  end
end

local function insert(a, defer)
  local id, task, createdAt, dedupKey = a[1], a[2], a[9], a[18]
  local plain = defer and a[11] == '' and dedupKey == ''
  if plain and a == lastArgs then
    -- The job before's fields (same state: the same runAt and createdAt), with its own id, data,
    -- sequence and member.
    lastId, lastSeq = lastId + 1, lastSeq + 1
    local f = lastFields
    local n = #f
    id = int(lastId)
    local seq = int(lastSeq)
    local state = f[STATE_AT]
    local wm = (state == 'waiting' and a[22] == '1') and lifoMember(seq, id) or orderMember(seq, id)
    f[ID_AT], f[DATA_AT], f[SEQ_AT], f[n] = id, a[3], seq, wm
    redis.call('HSET', jobKey(id), unpack(f))
    indexPlain(a, id, seq, state, wm)
    return id, state, 0
  end
  if defer and not plain then insertsDone() end
  local dupId, dupState, dupTask = duplicateOf(id, createdAt, dedupKey, a[19], a[20])
  if dupId then
    -- A custom-id duplicate is never replaced: it has the new job's own id.
    if dupId == id or a[21] ~= '1' or dupState ~= 'delayed' then
      emit('job:duplicated', dupId, dupTask)
      return dupId, dupState, 1
    end
    removeJobs({ load(dupId) }, tonumber(createdAt))
  end
  -- Parents first (reads only), so the job is written once, in its final state.
  local pending, failedParent, done = {}, nil, nil
  -- A parent deleted earlier in this batch (retention) has finished: it counts as done.
  if a[11] ~= '' then pending, failedParent, done = sortParents(cjson.decode(a[11]), a[12]) end
  local seq
  if plain then
    if id == '' then
      lastId = (lastId or tonumber(redis.call('GET', Q .. 'id') or '0')) + 1
      id = int(lastId)
    end
    lastSeq = (lastSeq or tonumber(redis.call('GET', Q .. 'seq') or '0')) + 1
    seq = int(lastSeq)
  else
    if id == '' then id = tostring(redis.call('INCR', Q .. 'id')) end
    seq = int(redis.call('INCR', Q .. 'seq'))
  end
  local now = tonumber(createdAt)
  local state = 'waiting'
  if failedParent then
    state = 'failed'
  elseif #pending > 0 then
    state = 'waiting-children'
  elseif a[10] ~= '' and tonumber(a[10]) > now then
    state = 'delayed'
  end
  local fields = { 'id', id, 'task', task, 'data', a[3], 'priority', a[4], 'maxRetries', a[5],
    'createdAt', createdAt, 'attempts', '0', 'stalledCount', '0', 'seq', seq, 'state', state }
  for i = 6, 18 do
    if i ~= 9 and a[i] ~= '' then
      fields[#fields + 1] = OPTIONAL_FIELDS[i]
      fields[#fields + 1] = a[i]
    end
  end
  if a[22] == '1' then
    fields[#fields + 1] = 'lifo'
    fields[#fields + 1] = '1'
  end
  if a[23] ~= '' then
    fields[#fields + 1] = 'traceContext'
    fields[#fields + 1] = a[23]
  end
  local wm
  if state == 'waiting' and a[22] == '1' then
    wm = lifoMember(seq, id)
    fields[#fields + 1] = 'wm'
    fields[#fields + 1] = wm
  elseif state == 'waiting' or state == 'delayed' then
    wm = orderMember(seq, id)
    fields[#fields + 1] = 'wm'
    fields[#fields + 1] = wm
  elseif state == 'waiting-children' then
    fields[#fields + 1] = 'pending'
    fields[#fields + 1] = #pending
  end
  redis.call('HSET', jobKey(id), unpack(fields))
  if plain then
    -- The general path's index writes for a waiting or delayed job (enter() included), deferred.
    indexPlain(a, id, seq, state, wm)
    if a[1] == '' then lastArgs, lastFields = a, fields end
    return id, state, 0
  end
  -- The general path: the job as the moves and settle helpers read it.
  local j = { id = id, task = task, priority = a[4], seq = seq, createdAt = createdAt, attempts = 0,
    onParentFailure = a[12], dedupKey = dedupKey }
  if a[7] ~= '' then j.ttl = a[7] end
  if a[15] ~= '' then j.rc = a[15] end
  if a[16] ~= '' then j.rf = a[16] end
  if dedupKey ~= '' then redis.call('HSET', Q .. 'dedup', dedupKey, id) end
  if done and not failedParent then keepDone(id, done) end
  if state == 'failed' then
    fail(j, parentFailedError(failedParent), now)
  elseif state == 'waiting-children' then
    dependOn(id, pending)
    enter(j, state)
  elseif state == 'delayed' then
    enter(j, state)
    redis.call('ZADD', Q .. 'delayed', a[10], wm)
    wakes.delayed = true
    emit('job:delayed', id, task, ',"runAt":' .. a[10])
  else
    enter(j, state)
    redis.call('ZADD', Q .. 'waiting', a[4], wm)
    wakes.job = true
    emit('job:waiting', id, task)
  end
  return id, j.state, 0
end
