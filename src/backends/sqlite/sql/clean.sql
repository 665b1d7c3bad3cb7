-- drain / clean: bulk removal by state (the caller deletes each row with jobDelete, then settles
-- the children still waiting on the removed rows, see dependants.sql).
-- Inputs: queue, state(s), olderThan, limit.
-- Effect: none here.
-- Returns: the rows to delete, oldest first.
-- Unfinished states are read from jobs_by_state, which leaves active jobs out: `state <> 'active'`
-- lets SQLite use it (migration 011); drain and clean never take active jobs.

-- @name drainable
SELECT * FROM jobs WHERE queue = ? AND state IN ('waiting', ?) AND state <> 'active';

-- @name cleanFinished
SELECT * FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL AND finished_at < ?
ORDER BY finished_at LIMIT ?;

-- @name cleanUnfinished
SELECT * FROM jobs WHERE queue = ? AND state = ? AND state <> 'active' AND created_at < ? ORDER BY seq LIMIT ?;
