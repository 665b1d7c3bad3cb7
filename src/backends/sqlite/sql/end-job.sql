-- endJob: moves one job (by seq, unfenced) to a finished state: expired (ttl passed before it
-- ran), failed (parent failed, stalled too often) or cancelled. Used inside other transitions.
-- Inputs: state, error JSON or null (kept), finished_at, stalled_count or null (kept), seq.
-- Effect: state, error and finished_at set, lease and pending-parent count cleared.
-- Returns: nothing.

-- @name endJob
UPDATE jobs
SET state = ?, error = coalesce(?, error), finished_at = ?,
    stalled_count = coalesce(?, stalled_count), pending_parents = 0,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = ?;
