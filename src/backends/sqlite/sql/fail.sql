-- fail / expire (finish kinds): the attempt ends the job for good (fenced by its lease token).
-- Inputs: error JSON (fail only), finished_at, queue, id, token.
-- Effect: active -> failed (error stored) or expired (attempts - 1: it never ran), lease cleared.
-- Returns: the row facts for events, retention and dependants; no row = fenced out.

-- @name fail
UPDATE jobs
SET state = 'failed', error = ?, finished_at = ?, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq, id, state, task, attempts, remove_on_fail AS retention, has_dependants, dedup_key, depends_on;

-- @name expireActive
UPDATE jobs
SET state = 'expired', attempts = attempts - 1, finished_at = ?,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq, id, state, task, attempts, remove_on_fail AS retention, has_dependants, dedup_key, depends_on;
