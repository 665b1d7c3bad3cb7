-- retryJob: an admin sends a finished job (failed, expired, cancelled, completed) back to waiting.
-- Inputs: queue, id.
-- Effect: -> waiting at the FIFO tail with attempts, stalledCount and stall charge 0; error, result,
-- finishedAt and any scheduled removal cleared.
-- Returns: id and task; no row = the job is absent or not finished.

-- @name retryJob
UPDATE {{schema}}.jobs
SET state = 'waiting', attempts = 0, stalled_count = 0, stall_charge = 0, stall_peers = 0, error = NULL,
    result = NULL, finished_at = NULL, remove_at = NULL, fifo = nextval('{{schema}}.fifo_seq')
WHERE queue = $1 AND id = $2 AND state IN ('failed', 'expired', 'cancelled', 'completed')
RETURNING id, task;
