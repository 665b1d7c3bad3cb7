-- dependants: resolves children waiting on a parent that just finished (or was removed unfinished).
-- Inputs: queue and parent id (dependantsOf); the child's seq (parentResolved); state, fifo, seq (ready).
-- Effect: parentResolved counts one parent down; ready moves a child out of waiting-children (a
--   lifo child, negative fifo, keeps the sign: it goes to the head of waiting).
-- Returns: dependantsOf lists children still in waiting-children; parentResolved the parents left.

-- @name dependantsOf
-- CROSS JOIN keeps this loop order (edges of the parent, then each child by id) even without
-- ANALYZE statistics; the other order would scan every waiting-children job.
SELECT j.* FROM job_deps d CROSS JOIN jobs j ON j.queue = d.queue AND j.id = d.child_id
WHERE d.queue = ? AND d.parent_id = ? AND j.state = 'waiting-children'
ORDER BY j.seq;

-- @name parentResolved
UPDATE jobs SET pending_parents = pending_parents - 1 WHERE seq = ? RETURNING pending_parents;

-- @name ready
UPDATE jobs SET state = ?, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * ? WHERE seq = ?;
