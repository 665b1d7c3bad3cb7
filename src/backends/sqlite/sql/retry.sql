-- retry: a worker's attempt failed and the job has retries left (fenced by its lease token).
-- Inputs: state ('delayed' or 'waiting'), error JSON, run_at, fifo (the queue's next: the FIFO tail
-- of waiting, or of the jobs due at the same runAt), queue, id, token.
-- Effect: active -> delayed/waiting, error stored, lease cleared.
-- Returns: task and attempts for job:retrying; no row = fenced out.

-- @name retry
UPDATE jobs
SET state = ?, error = ?, run_at = ?, fifo = ?,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq, task, attempts;
