-- deferred: batched index writes for the hot-path batches (claim, finish).
-- Effect: deferZrem/deferZadd collect ZSET moves; applyDeferred() applies them with one variadic
--   ZREM / ZADD per key, removals before additions (as leave() runs before enter()). Only for
--   (key, member) pairs nothing else in the script reads or writes before applyDeferred() runs:
--   call it before any general transition.
-- Defines: deferZrem(key, member), deferZadd(key, score, member), applyDeferred().
-- @begin beginDeferred
local deferredRem, deferredAdd, deferredArgs

local function beginDeferred()
  deferredRem, deferredAdd, deferredArgs = {}, {}, 0
end

-- Removals first; the order of keys does not matter (each key's moves are its own).
local function applyDeferred()
  if deferredArgs == 0 then return end
  for key, members in pairs(deferredRem) do redis.call('ZREM', key, unpack(members)) end
  for key, entries in pairs(deferredAdd) do redis.call('ZADD', key, unpack(entries)) end
  deferredRem, deferredAdd, deferredArgs = {}, {}, 0
end

-- Applies every ~1000 members, so unpack stays within Lua's stack limit.
local function deferred()
  deferredArgs = deferredArgs + 1
  if deferredArgs >= 2000 then applyDeferred() end
end

local function deferZrem(key, member)
  local list = deferredRem[key] or {}
  deferredRem[key] = list
  list[#list + 1] = member
  deferred()
end

local function deferZadd(key, score, member)
  local list = deferredAdd[key] or {}
  deferredAdd[key] = list
  list[#list + 1] = score
  list[#list + 1] = member
  deferred()
end
