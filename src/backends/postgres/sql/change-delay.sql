-- changeDelay: an admin moves the runAt of a delayed job.
-- Inputs: queue, id, runAt.
-- Effect: the job runs at runAt, behind the jobs already due then (it re-enters delayed: new fifo,
--   of the same sign: a lifo job stays lifo).
-- Returns: the job's task when it was delayed, else no row.

-- @name changeDelay
UPDATE {{schema}}.jobs SET run_at = $3, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * nextval('{{schema}}.fifo_seq')
WHERE queue = $1 AND id = $2 AND state = 'delayed'
RETURNING task;
