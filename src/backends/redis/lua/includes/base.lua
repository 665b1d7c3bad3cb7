-- base: the conventions of every queue script (Redis Lua cannot `require`; scripts.ts puts each
-- piece a script includes in front of it, once).
-- Inputs: KEYS[1] = queue key prefix "<prefix>:<queue>:" ("<prefix>:{<queue>}:" on a Redis Cluster
--   without a hash tag in the prefix), KEYS[2] = global key prefix "<prefix>::", or KEYS[1] again
--   on such a cluster, where the global keys are in another slot (the caller then keeps the set of
--   queues, and no flow spans queues); ARGV[1] = queue name, ARGV[2] = '1' when the caller wants
--   the events returned, else '0'; on a cluster '3' and '2' instead, which also publish them
--   whether or not this node sees a subscriber; ARGV[3] = the calling backend's id (tags what it
--   publishes). Script arguments start at ARGV[4].
-- Keys: every key a script touches starts with KEYS[1] (or, in a flow across queues, the prefix of
--   KEYS[2]), so it is in a declared key's slot: job keys are named by ids read inside the script.
-- Defines: Q, G, QUEUE, HOME, UNSTARTED, FINISHED, JOB_SETS, int(n), jobKey(id), refKey(entry, kind),
--   entryOf(queue, id), listQueue(member).
-- Begins: beginBase() sets the call's keys and names. Every piece keeps what it reads from KEYS and
--   ARGV, or builds per call, in a begin function, which scripts.ts calls first, in include order:
--   loaded as a Redis Function library, a piece's top level runs once, not once per call.
-- Q and QUEUE name the queue the helpers work on: the script's own (HOME), or, while a dependant in
-- another queue is settled, that queue (useQueue in events.lua switches them). Another queue's keys
-- are derived from G ("<prefix>::" -> "<prefix>:<queue>:"): on a Redis Cluster every queue of a
-- flow would need one hash tag (docs/backends.md).
-- @begin beginBase
local Q, G, QUEUE, HOME, PREFIX

local function beginBase()
  Q, G, QUEUE, HOME = KEYS[1], KEYS[2], ARGV[1], ARGV[1]
  PREFIX = string.sub(G, 1, -2)
end

local UNSTARTED = { waiting = true, delayed = true, ['waiting-children'] = true }
local FINISHED = { completed = true, failed = true, expired = true, cancelled = true }
-- The indexes that together hold every job of a queue once ("<Q>" .. each): one per state, by creation
-- sequence, and "active" (by lease expiry). JOB_SETS of queue-registry.ts is the same list.
local JOB_SETS = { 's:waiting', 's:delayed', 's:waiting-children', 'active', 's:completed', 's:failed',
  's:expired', 's:cancelled' }

-- Integers (times, counts) as JSON/text without the exponent tostring() would use.
local function int(n)
  return string.format('%d', n)
end

local function jobKey(id)
  return Q .. 'job:' .. id
end

-- The key `kind` ('job:', 'deps:', ...) of the job a dependsOn entry of a job of QUEUE names: a
-- bare id is a job of QUEUE, "<queue>:<id>" one of that queue (names and ids never hold ':').
local function refKey(entry, kind)
  local c = string.find(entry, ':', 1, true)
  if not c then return Q .. kind .. entry end
  return PREFIX .. string.sub(entry, 1, c - 1) .. ':' .. kind .. string.sub(entry, c + 1)
end

-- Adds the script's queue to (or with member false removes it from) the set of queues "<G>queues",
-- where that set shares the queue's slot (else the caller does it).
local function listQueue(member)
  if KEYS[2] == KEYS[1] then return end
  redis.call(member and 'SADD' or 'SREM', G .. 'queues', HOME)
end

-- How a job of QUEUE names job `id` of `queue` (dependencyEntry of shared/rules.ts).
local function entryOf(queue, id)
  if queue == QUEUE then return id end
  return queue .. ':' .. id
end
