-- recoverStalled: active jobs whose lease expired (their worker died or hung).
-- Inputs: queue, now (expiredLeases); stalled_count, fifo, seq (requeueStalled).
-- Effect: requeueStalled puts a job back to waiting, attempts - 1 (a stall does not use up a retry),
-- lease cleared; a job stalled too often is failed by the caller with endJob.
-- Returns: the rows whose lease expired, oldest expiry first.

-- @name expiredLeases
SELECT * FROM jobs WHERE queue = ? AND state = 'active' AND lease_expires_at < ? ORDER BY lease_expires_at;

-- @name requeueStalled
UPDATE jobs
SET state = 'waiting', attempts = attempts - 1, stalled_count = ?, fifo = ?,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = ?;
