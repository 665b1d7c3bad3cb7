-- deferred: batched index writes for the hot-path batches (claim, finish).
-- Effect: deferZrem/deferZadd collect ZSET moves; applyDeferred() applies them with one variadic
--   ZREM / ZADD per key, removals before additions (as leave() runs before enter()). Only for
--   (key, member) pairs nothing else in the script reads or writes before applyDeferred() runs:
--   call it before any general transition.
-- Defines: deferZrem(key, member), deferZadd(key, score, member), applyDeferred().
local deferredRem, deferredAdd, deferredRemKeys, deferredAddKeys, deferredArgs = {}, {}, {}, {}, 0

local function applyDeferred()
  if deferredArgs == 0 then return end
  for _, key in ipairs(deferredRemKeys) do redis.call('ZREM', key, unpack(deferredRem[key])) end
  for _, key in ipairs(deferredAddKeys) do redis.call('ZADD', key, unpack(deferredAdd[key])) end
  deferredRem, deferredAdd, deferredRemKeys, deferredAddKeys, deferredArgs = {}, {}, {}, {}, 0
end

-- Applies every ~1000 members, so unpack stays within Lua's stack limit.
local function deferredFull()
  deferredArgs = deferredArgs + 1
  if deferredArgs >= 2000 then applyDeferred() end
end

local function deferZrem(key, member)
  local list = deferredRem[key]
  if not list then
    list = {}
    deferredRem[key] = list
    deferredRemKeys[#deferredRemKeys + 1] = key
  end
  list[#list + 1] = member
  deferredFull()
end

local function deferZadd(key, score, member)
  local list = deferredAdd[key]
  if not list then
    list = {}
    deferredAdd[key] = list
    deferredAddKeys[#deferredAddKeys + 1] = key
  end
  list[#list + 1] = score
  list[#list + 1] = member
  deferredFull()
end
