-- retry: a worker's attempt failed and the job has retries left (fenced by its lease token).
-- Inputs: state ('delayed' or 'waiting'), error JSON, run_at, fifo (kept as is when null: a
-- delayed job gets its FIFO position when promoted), queue, id, token.
-- Effect: active -> delayed/waiting, error stored, lease cleared.
-- Returns: task and attempts for job:retrying; no row = fenced out.

-- @name retry
UPDATE jobs
SET state = ?, error = ?, run_at = ?, fifo = coalesce(?, fifo),
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq, task, attempts;
