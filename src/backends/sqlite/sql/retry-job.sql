-- retryJob: an admin sends a dead job (failed, expired, cancelled) back to waiting.
-- Inputs: fifo, queue, id.
-- Effect: -> waiting at the FIFO tail with attempts and stalledCount 0; error, result, finishedAt and
-- any scheduled removal cleared.
-- Returns: task; no row = the job is absent or not dead.

-- @name retryJob
UPDATE jobs
SET state = 'waiting', attempts = 0, stalled_count = 0, error = NULL, result = NULL, finished_at = NULL,
    remove_at = NULL, fifo = ?
WHERE queue = ? AND id = ? AND state IN ('failed', 'expired', 'cancelled')
RETURNING task;
