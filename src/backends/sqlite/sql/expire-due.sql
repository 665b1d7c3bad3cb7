-- expireDue: unstarted jobs whose ttl passed (the caller expires each with endJob).
-- Inputs: queue, now, limit.
-- Effect: none here.
-- Returns: waiting, delayed and waiting-children rows with createdAt + ttl <= now, earliest first.

-- @name dueExpiries
SELECT * FROM jobs
WHERE queue = ? AND expires_at IS NOT NULL AND state IN ('waiting', 'delayed', 'waiting-children')
  AND expires_at <= ?
ORDER BY expires_at LIMIT ?;
