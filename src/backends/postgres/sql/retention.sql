-- retention: removeOnComplete / removeOnFail and the retention sweep.
-- Inputs: see each statement.
-- Effect: setRemoveAt schedules a removal; the selects find jobs the caller deletes with jobsDelete.
-- Returns: seqs to delete.

-- @name setRemoveAt
-- Inputs: remove_at, seq.
UPDATE {{schema}}.jobs SET remove_at = $1 WHERE seq = $2;

-- @name beyondCount
-- Inputs: queue, state, how many to keep. Finished jobs of that state older than the newest N, read
-- backwards along jobs_finished; at most 1000 per call (each finish trims again, so excess drains).
SELECT seq FROM {{schema}}.jobs
WHERE queue = $1 AND state = $2 AND finished_at IS NOT NULL
ORDER BY finished_at DESC, seq DESC OFFSET $3 LIMIT 1000;

-- @name dueRemovals
-- Inputs: queue, now, limit (NULL = all).
SELECT seq FROM {{schema}}.jobs
WHERE queue = $1 AND remove_at IS NOT NULL AND remove_at <= $2
ORDER BY remove_at LIMIT $3
FOR UPDATE SKIP LOCKED;
