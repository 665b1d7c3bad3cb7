-- retryJob: an admin sends a finished job (failed, expired, cancelled, completed) back to waiting;
-- retryJobs runs it on each row retry-jobs.sql selects.
-- Inputs: fifo, seq (the caller read the job and checked that it is finished).
-- Effect: -> waiting at the FIFO tail with attempts, stalledCount and stall charge 0; error, result,
-- finishedAt and any scheduled removal cleared.
-- Returns: nothing.

-- @name retryJob
UPDATE jobs
SET state = 'waiting', attempts = 0, stalled_count = 0, stall_charge = 0, stall_peers = 0, error = NULL,
    result = NULL, finished_at = NULL, remove_at = NULL, fifo = ?
WHERE seq = ?;
