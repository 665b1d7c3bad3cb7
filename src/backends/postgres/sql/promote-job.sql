-- promoteJob: an admin runs one delayed job now.
-- Inputs: queue, id, now (the new runAt).
-- Effect: delayed -> waiting at the FIFO tail, runAt = now; any other state is left alone.
-- Returns: task; no row = the job is absent or not delayed.

-- @name promoteJob
UPDATE {{schema}}.jobs
SET state = 'waiting', run_at = $3, fifo = nextval('{{schema}}.fifo_seq')
WHERE queue = $1 AND id = $2 AND state = 'delayed'
RETURNING task;
