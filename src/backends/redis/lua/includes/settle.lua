-- settle: the end of an attempt for the job's dependants, and the failing endings.
-- @include retention
-- Effect: settle() tells the children of a finished (or removed) job; fail() and expire() finish a
--   job that already left its state, with event, dependants and retention; removeJobs() is the
--   admin removal. The ParentFailedError text is the one of parentFailedError in shared/rules.ts
--   (the conformance suite compares them).
-- Defines: errorEvent(j, errJson), parentFailedError(p), sortParents(parentIds, onParentFailure),
--   released (ids ready() let go in this script), ready(c, now), settle(root, now),
--   removeJobs(victims, now), fail(j, errJson, now), expire(j, now).

local function errorEvent(j, errJson)
  emit('job:failed', j.id, j.task, ',"error":' .. errJson .. ',"attempts":' .. int(j.attempts))
end

local function parentFailedError(p)
  return cjson.encode({ name = 'ParentFailedError', message = 'parent job ' .. p.id .. ' ' .. p.state })
end

-- sortParents of shared/rules.ts, where a missing parent has finished (deleted by retention):
-- the ids of `parentIds` (deduplicated) still unfinished, and the first dead one ({ id, state })
-- when `onParentFailure` is not 'ignore'.
local function sortParents(parentIds, onParentFailure)
  local pending, failedParent, seen = {}, nil, {}
  for _, pid in ipairs(parentIds) do
    if not seen[pid] then
      seen[pid] = true
      local ps = redis.call('HGET', jobKey(pid), 'state')
      if ps and ps ~= 'completed' then
        if not FINISHED[ps] then
          pending[#pending + 1] = pid
        elseif onParentFailure ~= 'ignore' and not failedParent then
          failedParent = { id = pid, state = ps }
        end
      end
    end
  end
  return pending, failedParent
end

-- Ids of the children ready() released in this script (drain keeps them out of its later chunks).
local released = {}

-- A child whose parents are all done: waiting, or delayed while its runAt is ahead.
local function ready(c, now)
  leave(c)
  if c.runAt and tonumber(c.runAt) > now then
    toDelayed(c, c.runAt)
  else
    toWaiting(c, c.lifo == '1')
  end
  emit('job:ready', c.id, c.task)
  released[#released + 1] = c.id
end

-- A completed parent (or a failed one, for children that ignore failures) counts down its
-- children's pending parents; otherwise they fail with ParentFailedError, cascading. Iterative;
-- retention of failed children runs once the cascade is done. A removed parent comes as
-- { id, state = 'removed', hasDeps } and counts as failed.
local function settle(root, now)
  local stack = { root }
  local failed = {}
  while #stack > 0 do
    local p = table.remove(stack)
    local depsKey = Q .. 'deps:' .. p.id
    local children = {}
    -- Most jobs never had a dependant: skip the list read for them.
    if p.hasDeps then children = redis.call('LRANGE', depsKey, 0, -1) end
    if #children > 0 then
      redis.call('DEL', depsKey)
      for _, cid in ipairs(children) do
        local c = load(cid)
        if c and c.state == 'waiting-children' then
          if p.state == 'completed' or c.onParentFailure == 'ignore' then
            if redis.call('HINCRBY', jobKey(cid), 'pending', -1) <= 0 then ready(c, now) end
          else
            local err = parentFailedError(p)
            leave(c)
            toFinished(c, 'failed', now, 'error', err)
            errorEvent(c, err)
            stack[#stack + 1] = c
            failed[#failed + 1] = c
          end
        end
      end
    end
  end
  for _, c in ipairs(failed) do retain(c, now) end
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
