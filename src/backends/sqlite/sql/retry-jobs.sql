-- retryJobs: an admin sends a batch of finished jobs of one state back to waiting (the caller runs
-- retryJob of retry-job.sql on each row, in this order, in one transaction).
-- Inputs: queue, state, olderThan, limit.
-- Effect: none here.
-- Returns: the rows of `state` that finished before olderThan, oldest finished first (equal times
-- in creation order), at most limit.

-- @name retryable
SELECT seq, id, task, state FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL AND finished_at < ?
ORDER BY finished_at, seq LIMIT ?;
