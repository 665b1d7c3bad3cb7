-- drain / clean: bulk removal by state (the caller deletes each row with jobDelete, then settles
-- the children still waiting on the removed rows, see dependants.sql).
-- Inputs: queue, state(s), olderThan, limit.
-- Effect: none here.
-- Returns: the rows to delete, oldest first.

-- @name drainable
SELECT * FROM jobs WHERE queue = ? AND state IN ('waiting', ?);

-- @name cleanFinished
SELECT * FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL AND finished_at < ?
ORDER BY finished_at LIMIT ?;

-- @name cleanUnfinished
SELECT * FROM jobs WHERE queue = ? AND state = ? AND created_at < ? ORDER BY seq LIMIT ?;
