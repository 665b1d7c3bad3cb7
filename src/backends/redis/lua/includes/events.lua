-- events: what a transition did, for this process (returned) and the others (published).
-- @include base
-- Inputs: ARGV[2] (return the events?), ARGV[3] (the caller's id).
-- Effect: events are built only when wanted, here or by a subscriber of "<Q>events" in any process.
--   flush() publishes them as "<id>|<JSON array>" on "<Q>events" when there is such a subscriber,
--   and the wake-up reasons raised as "<id>|<WAKE_BITS sum>" on "<Q>wake"; each process's notifier
--   skips the messages of its own id (it got those effects from the reply).
--   An active job that left that state (slotFreed = true) wakes "job" on a queue with a global
--   concurrency: a slot opened for workers that found no room.
-- Defines: EMIT (whether to build events), emit(name, id, task, extra), wakes (reason -> true),
--   slotFreed, flush().
-- Returns (flush): the effects reply { events JSON array or '' (when unwanted), wake bits }.
local WANT_LOCAL = ARGV[2] == '1'
local ORIGIN = ARGV[3]
local EVENTS_CHANNEL = Q .. 'events'
local REMOTE = redis.call('PUBSUB', 'NUMSUB', EVENTS_CHANNEL)[2] > 0
local EMIT = WANT_LOCAL or REMOTE
local QUEUE_JSON = cjson.encode(QUEUE)

local events = {}
local wakes = {}
local slotFreed = false

-- `extra` is a raw JSON fragment (",\"result\":...") appended to the payload.
local function emit(name, id, task, extra)
  if not EMIT then return end
  local s = '{"name":"' .. name .. '","payload":{"queue":' .. QUEUE_JSON
  if id then s = s .. ',"jobId":' .. cjson.encode(id) end
  if task then s = s .. ',"task":' .. cjson.encode(task) end
  events[#events + 1] = s .. (extra or '') .. '}}'
end

-- WAKE_BITS of shared/effects.ts.
local WAKE_BITS = { job = 1, delayed = 2, resume = 4 }

local function flush()
  if slotFreed and not wakes.job and redis.call('EXISTS', Q .. 'global-concurrency') == 1 then
    wakes.job = true
  end
  local batch = ''
  if #events > 0 then
    batch = '[' .. table.concat(events, ',') .. ']'
    if REMOTE then redis.call('PUBLISH', EVENTS_CHANNEL, ORIGIN .. '|' .. batch) end
    if not WANT_LOCAL then batch = '' end
  end
  local bits = 0
  for reason, mask in pairs(WAKE_BITS) do
    if wakes[reason] then bits = bits + mask end
  end
  if bits > 0 then redis.call('PUBLISH', Q .. 'wake', ORIGIN .. '|' .. bits) end
  return { batch, bits }
end
