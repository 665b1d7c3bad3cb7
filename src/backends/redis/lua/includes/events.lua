-- events: what a transition did, for this process (returned) and the others (published).
-- @include base
-- Inputs: ARGV[2] (return the events?), ARGV[3] (the caller's id).
-- Effect: events are built only when wanted, here or by a subscriber of "<Q>events" in any process.
--   flush() publishes them as "<id>|<JSON array>" on "<Q>events" when there is such a subscriber,
--   and the wake-up reasons raised as "<id>|<WAKE_BITS sum>" on "<Q>wake"; each process's notifier
--   skips the messages of its own id (it got those effects from the reply).
--   An active job that left that state (slotFreed = true) wakes "job" on a queue with a global
--   concurrency: a slot opened for workers that found no room.
--   Effects on other queues (a dependant settled there, under useQueue) are collected per queue,
--   published on that queue's channels, and returned too (built whenever this process wants events
--   of its own queue or someone subscribes there; the caller drops what it does not want).
-- Defines: EMIT (whether to build events), emit(name, id, task, extra), wakes (reason -> true),
--   slotFreed, useQueue(name), flush().
-- Returns (flush): the effects reply { events JSON array or '' (when unwanted), wake bits } and,
--   when other queues changed, a third element { name, events JSON or '', wake bits, ... }.
-- @begin beginEvents
local WANT_LOCAL, PUBLISH_ALL, ORIGIN, EVENTS_CHANNEL, REMOTE, EMIT, QUEUE_JSON
local events, wakes, slotFreed
-- The per-queue context of the helpers, saved while another queue's is in use (see useQueue).
local contexts, otherNames

local function beginEvents()
  WANT_LOCAL = ARGV[2] == '1' or ARGV[2] == '3'
  -- On a cluster ('2', '3') a subscriber may be on another node, which PUBSUB NUMSUB does not count.
  PUBLISH_ALL = ARGV[2] == '2' or ARGV[2] == '3'
  ORIGIN = ARGV[3]
  EVENTS_CHANNEL = Q .. 'events'
  REMOTE = PUBLISH_ALL or redis.call('PUBSUB', 'NUMSUB', EVENTS_CHANNEL)[2] > 0
  EMIT = WANT_LOCAL or REMOTE
  QUEUE_JSON = cjson.encode(QUEUE)
  events, wakes, slotFreed = {}, {}, false
  contexts, otherNames = {}, {}
end

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

-- Makes the helpers (keys, events, wake-ups) work on queue `name`; returns the name they worked on.
local function useQueue(name)
  local left = QUEUE
  if name == left then return left end
  contexts[left] = { Q = Q, json = QUEUE_JSON, channel = EVENTS_CHANNEL, remote = REMOTE, emit = EMIT,
    events = events, wakes = wakes }
  local c = contexts[name]
  if not c then
    local q = PREFIX .. name .. ':'
    local remote = PUBLISH_ALL or redis.call('PUBSUB', 'NUMSUB', q .. 'events')[2] > 0
    c = { Q = q, json = cjson.encode(name), channel = q .. 'events', remote = remote,
      emit = WANT_LOCAL or remote, events = {}, wakes = {} }
    otherNames[#otherNames + 1] = name
  end
  Q, QUEUE, QUEUE_JSON, EVENTS_CHANNEL, REMOTE, EMIT = c.Q, name, c.json, c.channel, c.remote, c.emit
  events, wakes = c.events, c.wakes
  return left
end

-- Publishes one queue's events and wake-ups; returns its events batch ('' when none) and wake bits.
local function publish(q, channel, remote, list, raised)
  local batch = ''
  if #list > 0 then
    batch = '[' .. table.concat(list, ',') .. ']'
    if remote then redis.call('PUBLISH', channel, ORIGIN .. '|' .. batch) end
  end
  local bits = 0
  for reason, mask in pairs(WAKE_BITS) do
    if raised[reason] then bits = bits + mask end
  end
  if bits > 0 then redis.call('PUBLISH', q .. 'wake', ORIGIN .. '|' .. bits) end
  return batch, bits
end

local function flush()
  useQueue(HOME)
  if slotFreed and not wakes.job and redis.call('EXISTS', Q .. 'global-concurrency') == 1 then
    wakes.job = true
  end
  local batch, bits = publish(Q, EVENTS_CHANNEL, REMOTE, events, wakes)
  if not WANT_LOCAL then batch = '' end
  if #otherNames == 0 then return { batch, bits } end
  local others = {}
  for _, name in ipairs(otherNames) do
    local c = contexts[name]
    local b, n = publish(c.Q, c.channel, c.remote, c.events, c.wakes)
    others[#others + 1] = name
    others[#others + 1] = b
    others[#others + 1] = n
  end
  return { batch, bits, others }
end
