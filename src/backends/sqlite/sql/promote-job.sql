-- promoteJob: an admin runs one delayed job now.
-- Inputs: now (the new runAt), fifo, queue, id.
-- Effect: delayed -> waiting at the FIFO tail (a lifo job, negative fifo, at the head), runAt = now; any other state is left alone.
-- Returns: the job's task when it was delayed, else no row.

-- @name promoteJob
UPDATE jobs SET state = 'waiting', run_at = ?, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * ?
WHERE queue = ? AND id = ? AND state = 'delayed'
RETURNING task;
