-- base: the conventions of every queue script (Redis Lua cannot `require`; scripts.ts puts each
-- piece a script includes in front of it, once).
-- Inputs: KEYS[1] = queue key prefix "<prefix>:<queue>:", KEYS[2] = global key prefix "<prefix>::";
--   ARGV[1] = queue name, ARGV[2] = '1' when the caller wants the events returned, ARGV[3] = the
--   calling backend's id (tags what it publishes). Script arguments start at ARGV[4].
-- Defines: Q, G, QUEUE, UNSTARTED, FINISHED, int(n), jobKey(id).
local Q = KEYS[1]
local G = KEYS[2]
local QUEUE = ARGV[1]

local UNSTARTED = { waiting = true, delayed = true, ['waiting-children'] = true }
local FINISHED = { completed = true, failed = true, expired = true, cancelled = true }

-- Integers (times, counts) as JSON/text without the exponent tostring() would use.
local function int(n)
  return string.format('%d', n)
end

local function jobKey(id)
  return Q .. 'job:' .. id
end
