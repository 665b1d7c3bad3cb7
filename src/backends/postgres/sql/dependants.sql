-- dependants: resolves children (of any queue) waiting on a parent that just ended.
-- Inputs: the parent's queue and id (dependantsOf, dependantIds); the child's seq (parentResolved);
--   state, seq (ready).
-- Effect: dependantsOf locks the children and drops the parent's edges; parentResolved counts one
-- parent down; ready moves a child out of waiting-children at the FIFO tail (a lifo child, negative
-- fifo, at the head: the new fifo keeps the sign).
-- Returns: dependantsOf the children still in waiting-children (by seq); parentResolved the
-- parents left. dependantIds (getDependants, read only): the queues and ids of those children, by seq.

-- @name dependantsOf
WITH edges AS (
  DELETE FROM {{schema}}.job_deps WHERE queue = $1 AND parent_id = $2 RETURNING child_queue, child_id
)
SELECT j.* FROM {{schema}}.jobs j
WHERE (j.queue, j.id) IN (SELECT child_queue, child_id FROM edges) AND j.state = 'waiting-children'
ORDER BY j.seq
FOR UPDATE;

-- @name parentResolved
UPDATE {{schema}}.jobs SET pending_parents = pending_parents - 1 WHERE seq = $1 RETURNING pending_parents;

-- @name ready
UPDATE {{schema}}.jobs SET state = $1, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * nextval('{{schema}}.fifo_seq') WHERE seq = $2;

-- @name dependantIds
SELECT j.queue, j.id FROM {{schema}}.job_deps d
JOIN {{schema}}.jobs j ON j.queue = d.child_queue AND j.id = d.child_id
WHERE d.queue = $1 AND d.parent_id = $2 AND j.state = 'waiting-children'
ORDER BY j.seq;
