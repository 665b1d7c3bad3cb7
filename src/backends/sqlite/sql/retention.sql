-- retention: removeOnComplete / removeOnFail and the retention sweep.
-- Inputs: see each statement.
-- Effect: setRemoveAt schedules a removal; the selects find jobs the caller deletes with jobDelete.
-- Returns: rows to delete, or the next removal time.

-- @name setRemoveAt
-- Inputs: remove_at, seq.
UPDATE jobs SET remove_at = ? WHERE seq = ?;

-- @name beyondCount
-- Inputs: queue, state, how many to keep. The finished jobs of that state older than the newest N.
SELECT * FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL
ORDER BY finished_at DESC, seq DESC LIMIT -1 OFFSET ?;

-- @name dueRemovals
-- Inputs: queue, now, limit.
SELECT * FROM jobs WHERE queue = ? AND remove_at IS NOT NULL AND remove_at <= ? ORDER BY remove_at LIMIT ?;

-- @name nextRemoval
SELECT remove_at FROM jobs WHERE queue = ? AND remove_at IS NOT NULL ORDER BY remove_at LIMIT 1;
