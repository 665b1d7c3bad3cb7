-- repeatables: durable definitions and the last slot fired per repeat id.
-- Inputs: queue, id and the definition's columns in the order listed.
-- Effect: upsert/remove/pause definitions; slotSet records a fired slot (fire's guard).
-- Returns: definitions, or the last slot fired.

-- @name repeatableUpsert
INSERT INTO repeatables (queue, id, def, next_run, paused) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (queue, id) DO UPDATE SET def = excluded.def, next_run = excluded.next_run, paused = excluded.paused;

-- @name repeatableGet
SELECT id, def, next_run, paused FROM repeatables WHERE queue = ? AND id = ?;

-- @name repeatableList
SELECT id, def, next_run, paused FROM repeatables WHERE queue = ? ORDER BY id;

-- @name repeatableDelete
DELETE FROM repeatables WHERE queue = ? AND id = ?;

-- @name repeatableSetPaused
-- Inputs: paused, next_run (kept when null), queue, id.
UPDATE repeatables SET paused = ?, next_run = coalesce(?, next_run) WHERE queue = ? AND id = ?;

-- @name repeatableSetNextRun
UPDATE repeatables SET next_run = ? WHERE queue = ? AND id = ?;

-- @name slotGet
SELECT last_slot FROM repeat_slots WHERE queue = ? AND repeat_id = ?;

-- @name slotSet
-- Inputs: queue, repeat_id, last_slot.
INSERT INTO repeat_slots (queue, repeat_id, last_slot) VALUES (?, ?, ?)
ON CONFLICT (queue, repeat_id) DO UPDATE SET last_slot = excluded.last_slot;

-- @name slotDelete
DELETE FROM repeat_slots WHERE queue = ? AND repeat_id = ?;
