-- retention: removeOnComplete / removeOnFail and the retention sweep.
-- Inputs: see each statement.
-- Effect: setRemoveAt schedules a removal; the selects find jobs the caller deletes with jobDelete.
-- Returns: finished counts, or rows to delete.

-- @name setRemoveAt
-- Inputs: remove_at, seq.
UPDATE jobs SET remove_at = ? WHERE seq = ?;

-- @name finishedCount
-- Inputs: queue, state. How many jobs the queue holds in that finished state, as last committed.
SELECT n FROM finished_counts WHERE queue = ? AND state = ?;

-- @name finishedCountAdd
-- Inputs: queue, state, the net change of one transaction.
INSERT INTO finished_counts (queue, state, n) VALUES (?, ?, ?)
ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n;

-- @name oldestFinished
-- Inputs: queue, state, how many. The oldest finished jobs of that state: the overflow beyond the
-- newest N that count retention deletes.
SELECT * FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL
ORDER BY finished_at, seq LIMIT ?;

-- @name dueRemovals
-- Inputs: queue, now, limit.
SELECT * FROM jobs WHERE queue = ? AND remove_at IS NOT NULL AND remove_at <= ? ORDER BY remove_at LIMIT ?;
