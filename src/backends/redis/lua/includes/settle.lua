-- settle: the end of an attempt for the job's dependants, and the failing endings.
-- @include retention
-- Effect: settle() tells the children of a finished (or removed) job; fail() and expire() finish a
--   job that already left its state, with event, dependants and retention; removeJobs() is the
--   admin removal. The ParentFailedError text is the one of parentFailedError in shared/rules.ts
--   (the conformance suite compares them).
--   Children may be in other queues: a dependants list holds a child of the parent's queue as its
--   id and one of another queue as "<queue>:<id>"; settle() switches to that queue (useQueue) to
--   settle it. Each child keeps the parent's result or failure in its "kept:<id>" hash (field
--   "<queue>:<id>", value "r<result JSON>" or "f<failure text>"; getDependencyResults), deleted
--   with it. onParentFailure 'continue': a dead parent starts the child at once, and the child
--   leaves the dependants lists of its other parents.
-- Defines: errorEvent(j, errJson), parentFailedError(p), sortParents(parentIds, onParentFailure),
--   released (ids ready() let go in this script), ready(c, now), keep(id, dep, value),
--   keepDone(id, done), settle(root, now, othersOnly), removeJobs(victims, now), fail(j, errJson, now),
--   expire(j, now).

local function errorEvent(j, errJson)
  emit('job:failed', j.id, j.task, ',"error":' .. errJson .. ',"attempts":' .. int(j.attempts))
end

-- `p.id` is how the failed child names its parent (entryOf).
local function parentFailedError(p)
  return cjson.encode({ name = 'ParentFailedError', message = 'parent job ' .. p.id .. ' ' .. p.state })
end

-- The key of a dependency's outcome: "<queue>:<id>" for an entry of a job of QUEUE.
local function depKeyOf(entry)
  if string.find(entry, ':', 1, true) then return entry end
  return QUEUE .. ':' .. entry
end

-- dependencyFailureText of shared/rules.ts, from the dependency's state and stored error JSON.
local function failureText(state, errJson)
  if state == 'failed' and errJson then
    local ok, err = pcall(cjson.decode, errJson)
    if ok and type(err) == 'table' and type(err.message) == 'string' then return err.message end
  end
  return 'job ' .. state
end

-- Job `id` of QUEUE keeps `value` ("r<result JSON>" or "f<failure>") of dependency `dep` ("<queue>:<id>").
local function keep(id, dep, value)
  redis.call('HSET', Q .. 'kept:' .. id, dep, value)
end

-- The outcome value of the finished job whose hash is `key`, in state `state`.
local function outcomeOf(key, state)
  if state == 'completed' then return 'r' .. (redis.call('HGET', key, 'result') or 'null') end
  return 'f' .. failureText(state, redis.call('HGET', key, 'error'))
end

-- Job `id` of QUEUE keeps the outcome of each finished dependency sortParents found (`done`).
local function keepDone(id, done)
  for _, d in ipairs(done) do keep(id, depKeyOf(d.id), outcomeOf(refKey(d.id, 'job:'), d.state)) end
end

-- sortParents of shared/rules.ts, where a missing parent has finished (deleted by retention):
-- the entries of `parentIds` (deduplicated; "<queue>:<id>" for other queues) still unfinished,
-- the first dead one ({ id, state }) when `onParentFailure` is 'fail' (the default), and the
-- finished ones still stored ({ id, state }: their outcomes are kept). Under 'continue', a dead
-- one leaves nothing pending.
local function sortParents(parentIds, onParentFailure)
  local pending, failedParent, done, seen, dead = {}, nil, {}, {}, false
  local policy = onParentFailure
  if not policy or policy == '' then policy = 'fail' end
  for _, pid in ipairs(parentIds) do
    if not seen[pid] then
      seen[pid] = true
      local ps = redis.call('HGET', refKey(pid, 'job:'), 'state')
      if ps then
        if FINISHED[ps] then
          done[#done + 1] = { id = pid, state = ps }
          if ps ~= 'completed' then
            dead = true
            if policy == 'fail' and not failedParent then failedParent = { id = pid, state = ps } end
          end
        else
          pending[#pending + 1] = pid
        end
      end
    end
  end
  if dead and policy == 'continue' then pending = {} end
  return pending, failedParent, done
end

-- Edges from the unfinished parents `pending` (entries) to job `id` of QUEUE.
local function dependOn(id, pending)
  for _, pid in ipairs(pending) do
    local c = string.find(pid, ':', 1, true)
    redis.call('RPUSH', refKey(pid, 'deps:'), c and (QUEUE .. ':' .. id) or id)
    redis.call('HSET', refKey(pid, 'job:'), 'hasDeps', 1)
  end
end

-- A 'continue' child `c` of QUEUE starting at once leaves the dependants lists of its parents.
local function dropEdges(c)
  local deps = redis.call('HGET', jobKey(c.id), 'dependsOn')
  for _, pid in ipairs(deps and cjson.decode(deps) or {}) do
    local other = string.find(pid, ':', 1, true)
    redis.call('LREM', refKey(pid, 'deps:'), 0, other and (QUEUE .. ':' .. c.id) or c.id)
  end
  redis.call('HSET', jobKey(c.id), 'pending', 0)
end

-- Ids of the children ready() released in this script (drain keeps them out of its later chunks).
-- @begin beginSettle
local released

local function beginSettle()
  released = {}
end

-- A child whose parents are all done: waiting, or delayed while its runAt is ahead.
local function ready(c, now)
  leave(c)
  if c.runAt and tonumber(c.runAt) > now then
    toDelayed(c, c.runAt)
  else
    toWaiting(c, c.lifo == '1')
  end
  emit('job:ready', c.id, c.task)
  -- drain leaves these out of its later chunks: ids of its own queue only.
  if QUEUE == HOME then released[#released + 1] = c.id end
end

-- Each child (of any queue) of a finished parent keeps its result or failure; a completed parent
-- (or a dead one, for 'ignore' children) counts down its children's pending parents; a dead one
-- starts 'continue' children at once; otherwise they fail with ParentFailedError, cascading.
-- Iterative; retention of failed children runs once the cascade is done. A removed parent comes as
-- { id, state = 'removed', hasDeps } and counts as failed. `root` is of the current queue; with
-- `othersOnly` (obliterate) only its children in other queues are settled.
local function settle(root, now, othersOnly)
  root.queue = QUEUE
  local stack = { root }
  local failed = {}
  while #stack > 0 do
    local p = table.remove(stack)
    useQueue(p.queue)
    local depsKey = Q .. 'deps:' .. p.id
    local children = {}
    -- Most jobs never had a dependant: skip the list read for them.
    if p.hasDeps then children = redis.call('LRANGE', depsKey, 0, -1) end
    if #children > 0 then
      redis.call('DEL', depsKey)
      local pKey = p.queue .. ':' .. p.id
      local outcome = nil
      for _, entry in ipairs(children) do
        local colon = string.find(entry, ':', 1, true)
        local cq, cid = p.queue, entry
        if colon then cq, cid = string.sub(entry, 1, colon - 1), string.sub(entry, colon + 1) end
        if not (othersOnly and p == root and cq == p.queue) then
          -- The parent's outcome is read in its own queue, before switching to the child's.
          if not outcome and p.state ~= 'removed' then outcome = outcomeOf(jobKey(p.id), p.state) end
          useQueue(cq)
          local c = load(cid)
          if c and c.state == 'waiting-children' then
            local policy = c.onParentFailure or 'fail'
            if p.state == 'completed' or policy ~= 'fail' then
              keep(cid, pKey, outcome or ('f' .. failureText(p.state, nil)))
              if p.state == 'completed' or policy == 'ignore' then
                if redis.call('HINCRBY', jobKey(cid), 'pending', -1) <= 0 then ready(c, now) end
              else
                dropEdges(c)
                ready(c, now)
              end
            else
              local err = parentFailedError({ id = entryOf(p.queue, p.id), state = p.state })
              leave(c)
              toFinished(c, 'failed', now, 'error', err)
              errorEvent(c, err)
              c.queue = cq
              stack[#stack + 1] = c
              failed[#failed + 1] = c
            end
          end
          useQueue(p.queue)
        end
      end
    end
  end
  for _, c in ipairs(failed) do
    useQueue(c.queue)
    retain(c, now)
  end
  useQueue(root.queue)
end

-- Admin removal (remove-job, drain, clean): deletes the loaded jobs `victims`, then settles the
-- children still waiting on any of them as if that parent had failed ("parent job <id> removed").
-- Children are settled once every victim is gone, so none is removed by the same call. A finished
-- job's dependants list was consumed when it finished.
local function removeJobs(victims, now)
  local parents = {}
  for _, j in ipairs(victims) do
    local settles = j.hasDeps and not FINISHED[j.state]
    deleteJob(j, settles)
    if settles then parents[#parents + 1] = { id = j.id, state = 'removed', hasDeps = true } end
  end
  for _, p in ipairs(parents) do settle(p, now) end
end

local function fail(j, errJson, now)
  toFinished(j, 'failed', now, 'error', errJson)
  errorEvent(j, errJson)
  settle(j, now)
  retain(j, now)
end

local function expire(j, now)
  toFinished(j, 'expired', now)
  emit('job:expired', j.id, j.task)
  settle(j, now)
  retain(j, now)
end
