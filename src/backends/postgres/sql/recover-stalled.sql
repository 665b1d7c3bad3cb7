-- recoverStalled: active jobs whose lease expired (their worker died or hung).
-- Inputs: queue, now (expiredLeases); stalled_count, seq (requeueStalled).
-- Effect: requeueStalled puts a job back to waiting at the FIFO tail, attempts - 1 (a stall does
-- not use up a retry), lease cleared; a job stalled too often is failed by the caller with endJob.
-- Returns: the rows whose lease expired (locked), oldest expiry first.

-- @name expiredLeases
SELECT * FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'active' AND lease_expires_at < $2
ORDER BY lease_expires_at
FOR UPDATE SKIP LOCKED;

-- @name requeueStalled
UPDATE {{schema}}.jobs
SET state = 'waiting', attempts = attempts - 1, stalled_count = $1, fifo = nextval('{{schema}}.fifo_seq'),
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = $2;
