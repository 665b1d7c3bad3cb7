-- 005_repeat_runs: how many slots have fired per repeat id, so that a repeatable's `limit` (total
-- runs) is kept in the engine and checked in the same transaction that fires a slot.
-- Adds a column with a constant default: slots fired before this version are not counted.

ALTER TABLE repeat_slots ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
