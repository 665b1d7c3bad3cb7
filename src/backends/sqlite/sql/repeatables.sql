-- repeatables: durable definitions, and the last slot fired and the slots fired so far per repeat id.
-- Inputs: queue, id and the definition's columns in the order listed.
-- Effect: upsert/remove/pause definitions; slotSet records a fired slot and counts it (fire's guard).
-- Returns: definitions with their runs, or the last slot fired and the runs.

-- @name repeatableUpsert
INSERT INTO repeatables (queue, id, def, next_run, paused) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (queue, id) DO UPDATE SET def = excluded.def, next_run = excluded.next_run, paused = excluded.paused;

-- @name repeatableGet
SELECT id, def, next_run, paused FROM repeatables WHERE queue = ? AND id = ?;

-- @name repeatableList
SELECT r.id, r.def, r.next_run, r.paused, coalesce(s.runs, 0) AS runs
FROM repeatables r LEFT JOIN repeat_slots s ON s.queue = r.queue AND s.repeat_id = r.id
WHERE r.queue = ? ORDER BY r.id;

-- @name repeatableDelete
DELETE FROM repeatables WHERE queue = ? AND id = ?;

-- @name repeatableSetPaused
-- Inputs: paused, next_run (kept when null), queue, id.
UPDATE repeatables SET paused = ?, next_run = coalesce(?, next_run) WHERE queue = ? AND id = ?;

-- @name repeatableSetNextRun
UPDATE repeatables SET next_run = ? WHERE queue = ? AND id = ?;

-- @name slotGet
SELECT last_slot, runs FROM repeat_slots WHERE queue = ? AND repeat_id = ?;

-- @name slotSet
-- Inputs: queue, repeat_id, last_slot. Counts one more run.
INSERT INTO repeat_slots (queue, repeat_id, last_slot, runs) VALUES (?, ?, ?, 1)
ON CONFLICT (queue, repeat_id) DO UPDATE SET last_slot = excluded.last_slot, runs = runs + 1;

-- @name slotDelete
DELETE FROM repeat_slots WHERE queue = ? AND repeat_id = ?;
