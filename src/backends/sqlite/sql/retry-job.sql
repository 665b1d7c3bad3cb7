-- retryJob / retryJobs: an admin sends finished jobs (failed, expired, cancelled, completed) back
-- to waiting.
-- Inputs: queue, state, olderThan, limit (retryable); fifo, seq (retryJob: the caller read the job
-- and checked that it is finished).
-- Effect: -> waiting at the FIFO tail with attempts, stalledCount and stall charge 0; error, result,
-- finishedAt and any scheduled removal cleared.
-- Returns: retryable the rows of `state` that finished before olderThan, oldest finished first
-- (equal times in creation order).

-- @name retryable
SELECT seq, id, task, state FROM jobs
WHERE queue = ? AND state = ? AND finished_at IS NOT NULL AND finished_at < ?
ORDER BY finished_at, seq LIMIT ?;

-- @name retryJob
UPDATE jobs
SET state = 'waiting', attempts = 0, stalled_count = 0, stall_charge = 0, stall_peers = 0, error = NULL,
    result = NULL, finished_at = NULL, remove_at = NULL, fifo = ?
WHERE seq = ?;
