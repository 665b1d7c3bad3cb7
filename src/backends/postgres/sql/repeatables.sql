-- repeatables: durable definitions and the last slot fired per repeat id.
-- Inputs: queue, id and the definition's columns as listed per statement.
-- Effect: upsert/remove/pause definitions; slotClaim records a fired slot (fireRepeatable's guard).
-- Returns: definitions, or the last slot fired.

-- @name repeatableUpsert
-- Inputs: queue, id, def JSON, next_run, paused.
WITH q AS (INSERT INTO {{schema}}.queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING)
INSERT INTO {{schema}}.repeatables (queue, id, def, next_run, paused) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (queue, id) DO UPDATE SET def = excluded.def, next_run = excluded.next_run, paused = excluded.paused;

-- @name repeatableLock
-- Inputs: queue, id. Locked so a concurrent pause or removal waits for the fire in progress.
SELECT paused FROM {{schema}}.repeatables WHERE queue = $1 AND id = $2 FOR UPDATE;

-- @name repeatableList
SELECT id, def, next_run, paused FROM {{schema}}.repeatables WHERE queue = $1 ORDER BY id;

-- @name repeatableDelete
-- Inputs: queue, id. Removes the definition and its last-slot record.
WITH slot AS (DELETE FROM {{schema}}.repeat_slots WHERE queue = $1 AND repeat_id = $2)
DELETE FROM {{schema}}.repeatables WHERE queue = $1 AND id = $2
RETURNING id;

-- @name repeatableSetPaused
-- Inputs: paused, next_run (kept when null), queue, id.
UPDATE {{schema}}.repeatables SET paused = $1, next_run = coalesce($2, next_run) WHERE queue = $3 AND id = $4
RETURNING id;

-- @name repeatableSetNextRun
UPDATE {{schema}}.repeatables SET next_run = $1 WHERE queue = $2 AND id = $3;

-- @name slotGet
SELECT last_slot FROM {{schema}}.repeat_slots WHERE queue = $1 AND repeat_id = $2;

-- @name slotClaim
-- Inputs: queue, repeat_id, slot. A row comes back only when `slot` is later than the last slot
-- fired; concurrent claimers of one slot queue on the row lock and then find it taken.
INSERT INTO {{schema}}.repeat_slots AS s (queue, repeat_id, last_slot) VALUES ($1, $2, $3)
ON CONFLICT (queue, repeat_id) DO UPDATE SET last_slot = excluded.last_slot
  WHERE s.last_slot < excluded.last_slot
RETURNING last_slot;
