-- complete: a worker's attempt succeeded (fenced by its lease token).
-- Inputs: result JSON, finished_at, queue, id, token.
-- Effect: active -> completed, result stored, lease cleared. Nothing when the token no longer holds.
-- Returns: the row facts the caller needs for events, retention and dependants; no row = fenced out.

-- @name complete
UPDATE jobs
SET state = 'completed', result = ?, finished_at = ?, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq, id, state, task, attempts, remove_on_complete AS retention, has_dependants, dedup_key, depends_on;
