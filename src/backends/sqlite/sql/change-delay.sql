-- changeDelay: an admin moves the runAt of a delayed job.
-- Inputs: runAt, fifo (the queue's next), queue, id.
-- Effect: the job runs at runAt, behind the jobs already due then (it re-enters delayed: new fifo,
--   of the same sign: a lifo job stays lifo).
-- Returns: the job's task when it was delayed, else no row.

-- @name changeDelay
UPDATE jobs SET run_at = ?, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * ?
WHERE queue = ? AND id = ? AND state = 'delayed'
RETURNING task;
