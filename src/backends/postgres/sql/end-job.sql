-- endJob: moves one job (by seq, unfenced) to a finished state: expired (ttl passed before it ran),
-- failed (parent failed, stalled too often) or cancelled. Used inside other transitions.
-- Inputs: state, error JSON or null (kept), finished_at, attempts delta (0 or -1), stalled_count or
-- null (kept), seq.
-- Effect: state, error and finished_at set; lease, pending-parent count and the job's own pending
-- edges cleared.
-- Returns: the row facts for events, retention and dependants.

-- @name endJob
WITH edges AS (
  DELETE FROM {{schema}}.job_deps e USING {{schema}}.jobs j
  WHERE j.seq = $6 AND j.pending_parents > 0 AND e.queue = j.queue AND e.child_id = j.id
)
UPDATE {{schema}}.jobs
SET state = $1, error = coalesce($2, error), finished_at = $3, attempts = attempts + $4,
    stalled_count = coalesce($5, stalled_count), pending_parents = 0,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = $6
RETURNING seq, id, task, attempts, remove_on_fail, has_dependants, dedup_key;
