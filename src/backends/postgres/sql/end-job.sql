-- endJob: moves one job (by seq, unfenced) to a finished state: expired (ttl passed before it ran),
-- failed (parent failed, stalled too often) or cancelled. Used inside other transitions.
-- Inputs: state, error JSON or null (kept), finished_at, stalled_count or null (kept), seq.
-- Effect: state, error and finished_at set; lease, pending-parent count and the job's own pending
-- edges cleared.
-- Returns: the row facts for dependants, and `retention`: removeOnFail's spec (none when cancelled).

-- @name endJob
WITH edges AS (
  DELETE FROM {{schema}}.job_deps e USING {{schema}}.jobs j
  WHERE j.seq = $5 AND j.pending_parents > 0 AND e.child_queue = j.queue AND e.child_id = j.id
)
UPDATE {{schema}}.jobs
SET state = $1, error = coalesce($2, error), finished_at = $3, stalled_count = coalesce($4, stalled_count),
    pending_parents = 0, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = $5
RETURNING seq, id, task, attempts, has_dependants,
  CASE WHEN $1 = 'cancelled' THEN NULL ELSE remove_on_fail END AS retention;
