-- getJobs / getJobCounts: admin reads.
-- Inputs: queue, a JSON array of states ('[]' = every state), limit, offset.
-- Effect: none.
-- Returns: job rows in creation order (seq), newest or oldest first; counts per state.

-- @name jobsDesc
SELECT * FROM jobs
WHERE queue = @queue AND (json_array_length(@states) = 0 OR state IN (SELECT value FROM json_each(@states)))
ORDER BY seq DESC LIMIT @limit OFFSET @offset;

-- @name jobsAsc
SELECT * FROM jobs
WHERE queue = @queue AND (json_array_length(@states) = 0 OR state IN (SELECT value FROM json_each(@states)))
ORDER BY seq ASC LIMIT @limit OFFSET @offset;

-- @name countByState
SELECT state, count(*) AS n FROM jobs WHERE queue = ? GROUP BY state;
