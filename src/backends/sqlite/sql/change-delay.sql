-- changeDelay: an admin moves the runAt of a delayed job.
-- Inputs: runAt, fifo (the queue's next), queue, id.
-- Effect: the job runs at runAt, behind the jobs already due then (it re-enters delayed: new fifo).
-- Returns: the job's task when it was delayed, else no row.

-- @name changeDelay
UPDATE jobs SET run_at = ?, fifo = ?
WHERE queue = ? AND id = ? AND state = 'delayed'
RETURNING task;
