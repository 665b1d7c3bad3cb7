-- base: the conventions of every queue script (Redis Lua cannot `require`; scripts.ts puts each
-- piece a script includes in front of it, once).
-- Inputs: KEYS[1] = queue key prefix "<prefix>:<queue>:", KEYS[2] = global key prefix "<prefix>::";
--   ARGV[1] = queue name, ARGV[2] = '1' when the caller wants the events returned, ARGV[3] = the
--   calling backend's id (tags what it publishes). Script arguments start at ARGV[4].
-- Defines: Q, G, QUEUE, HOME, UNSTARTED, FINISHED, int(n), jobKey(id), refKey(entry, kind),
--   entryOf(queue, id).
-- Q and QUEUE name the queue the helpers work on: the script's own (HOME), or, while a dependant in
-- another queue is settled, that queue (useQueue in events.lua switches them). Another queue's keys
-- are derived from G ("<prefix>::" -> "<prefix>:<queue>:"): on a Redis Cluster every queue of a
-- flow would need one hash tag (docs/backends.md).
local Q = KEYS[1]
local G = KEYS[2]
local QUEUE = ARGV[1]
local HOME = ARGV[1]
local PREFIX = string.sub(G, 1, -2)

local UNSTARTED = { waiting = true, delayed = true, ['waiting-children'] = true }
local FINISHED = { completed = true, failed = true, expired = true, cancelled = true }

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

-- How a job of QUEUE names job `id` of `queue` (dependencyEntry of shared/rules.ts).
local function entryOf(queue, id)
  if queue == QUEUE then return id end
  return queue .. ':' .. id
end
