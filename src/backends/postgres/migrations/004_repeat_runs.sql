-- 004_repeat_runs: how many slots have fired per repeat id, so that a repeatable's `limit` (total
-- runs) is kept in the engine and checked in the same statement that fires a slot.
-- Adds a column with a constant default (no table rewrite): slots fired before are not counted.

ALTER TABLE {{schema}}.repeat_slots ADD COLUMN runs integer NOT NULL DEFAULT 0;
