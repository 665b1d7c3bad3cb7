-- moveToWaitingChildren: a handler's job waits for the jobs it added (after the caller locked it,
-- checked its lease token and sorted those jobs with childWait).
-- Inputs: $1 state ('waiting-children', 'waiting', or 'active' when a dead child fails it next, by
-- endJob), $2 depends_on JSON, $3 pending_parents, $4 seq.
-- Effect: attempts - 1 (the attempt does not count), the new parents' count and list, the FIFO
-- tail; lease cleared. The caller inserts the edges (depInsert).
-- Returns: nothing.

-- @name moveToWaitingChildren
UPDATE {{schema}}.jobs
SET state = $1, depends_on = $2, pending_parents = $3, fifo = nextval('{{schema}}.fifo_seq'),
    attempts = attempts - 1, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = $4;
