-- drain / clean: bulk removal by state (the caller deletes the rows with jobsDelete).
-- Inputs: queue, then state(s), olderThan, limit (NULL = all).
-- Effect: none here (rows are locked until commit).
-- Returns: the rows to delete (seq, id, state, has_dependants), oldest first.

-- @name drainable
-- Inputs: queue, include delayed.
SELECT seq, id, state, has_dependants FROM {{schema}}.jobs
WHERE queue = $1 AND (state = 'waiting' OR ($2::boolean AND state = 'delayed'))
FOR UPDATE;

-- @name cleanFinished
SELECT seq, id, state, has_dependants FROM {{schema}}.jobs
WHERE queue = $1 AND state = $2 AND finished_at IS NOT NULL AND finished_at < $3
ORDER BY finished_at LIMIT $4
FOR UPDATE;

-- @name cleanUnfinished
-- Delayed and waiting-children jobs, from jobs_by_state (the clause `state NOT IN (...)` lets the
-- planner use the partial index whatever $2 is).
SELECT seq, id, state, has_dependants FROM {{schema}}.jobs
WHERE queue = $1 AND state = $2 AND state NOT IN ('waiting', 'active') AND created_at < $3
ORDER BY seq LIMIT $4
FOR UPDATE;

-- @name cleanWaiting
-- Waiting jobs (not in jobs_by_state): $2 is 'waiting'.
SELECT seq, id, state, has_dependants FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'waiting' AND state = $2 AND created_at < $3
ORDER BY seq LIMIT $4
FOR UPDATE;
