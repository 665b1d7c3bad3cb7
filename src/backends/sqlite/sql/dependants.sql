-- dependants: resolves children waiting on a parent that just finished (or was removed unfinished).
-- Inputs: the parent's queue and id (dependantsOf; children may be in any queue); the child's seq
--   (parentResolved, parentsDropped); state, fifo, seq (ready).
-- Effect: parentResolved counts one parent down; parentsDropped forgets them all (a "continue"
--   child starting at once); ready moves a child out of waiting-children (a lifo child, negative
--   fifo, keeps the sign: it goes to the head of waiting).
-- Returns: dependantsOf lists children still in waiting-children; parentResolved the parents left.

-- @name dependantsOf
-- CROSS JOIN keeps this loop order (edges of the parent, then each child by id) even without
-- ANALYZE statistics; the other order would scan every waiting-children job.
SELECT j.* FROM job_deps d CROSS JOIN jobs j ON j.queue = d.child_queue AND j.id = d.child_id
WHERE d.queue = ? AND d.parent_id = ? AND j.state = 'waiting-children'
ORDER BY j.seq;

-- @name parentResolved
UPDATE jobs SET pending_parents = pending_parents - 1 WHERE seq = ? RETURNING pending_parents;

-- @name parentsDropped
UPDATE jobs SET pending_parents = 0 WHERE seq = ?;

-- @name ready
UPDATE jobs SET state = ?, fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * ? WHERE seq = ?;
