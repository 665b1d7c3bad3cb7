-- moveToWaitingChildren: a handler's job waits for the jobs it added (after the caller fenced it
-- by its lease token and sorted those jobs with sortParents).
-- Inputs: state ('waiting-children', 'waiting', or 'active' when a dead child fails it next, by
-- endJob), depends_on JSON, pending_parents, fifo (the queue's next), seq.
-- Effect: attempts - 1 (the attempt does not count), the new parents' count and list; lease cleared.
-- The caller inserts the job_deps edges.
-- Returns: nothing.

-- @name moveToWaitingChildren
UPDATE jobs
SET state = ?, depends_on = ?, pending_parents = ?, fifo = ?, attempts = attempts - 1,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = ?;
