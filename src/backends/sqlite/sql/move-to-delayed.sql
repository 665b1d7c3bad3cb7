-- moveToDelayed: a handler moves its running job on to a later step (fenced by its lease token).
-- Inputs: state ('delayed' or 'waiting'), run_at, data JSON or NULL (keep the data), fifo (the
-- queue's next: the FIFO tail of waiting, or of the jobs due at the same runAt), queue, id, token.
-- Effect: active -> delayed/waiting, attempts - 1 (the attempt does not count), data replaced when
-- given, lease cleared.
-- Returns: task for job:delayed / job:waiting; no row = fenced out.

-- @name moveToDelayed
UPDATE jobs
SET state = ?, run_at = ?, data = coalesce(?, data), fifo = ?, attempts = attempts - 1,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING task;
