-- changePriority: an admin sets the priority of a job, in any state.
-- Inputs: priority, fifo (the queue's next), queue, id.
-- Effect: the job's priority; a waiting job moves to the FIFO tail (of its new priority).
-- Returns: changes = 0 when the job is missing.

-- @name changePriority
UPDATE jobs SET priority = ?, fifo = CASE WHEN state = 'waiting' THEN ? ELSE fifo END
WHERE queue = ? AND id = ?;
