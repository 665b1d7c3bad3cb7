-- promoteJob: an admin runs one delayed job now.
-- Inputs: queue, id, now (the new runAt).
-- Effect: delayed -> waiting at the FIFO tail (a lifo job, negative fifo, at the head), runAt = now; any other state is left alone.
-- Returns: task; no row = the job is absent or not delayed.

-- @name promoteJob
UPDATE {{schema}}.jobs
SET state = 'waiting', run_at = $3, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * nextval('{{schema}}.fifo_seq')
WHERE queue = $1 AND id = $2 AND state = 'delayed'
RETURNING task;
