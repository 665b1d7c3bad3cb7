-- changePriority: an admin sets the priority of a job, in any state.
-- Inputs: queue, id, priority.
-- Effect: the job's priority; a waiting job moves to the FIFO tail (of its new priority).
-- Returns: a row when the job exists.

-- @name changePriority
UPDATE {{schema}}.jobs
SET priority = $3, fifo = CASE WHEN state = 'waiting' THEN nextval('{{schema}}.fifo_seq') ELSE fifo END
WHERE queue = $1 AND id = $2
RETURNING seq;
