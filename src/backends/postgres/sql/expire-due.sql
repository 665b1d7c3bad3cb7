-- expireDue / ttl-expired claim candidates: unstarted jobs whose ttl passed (the caller expires
-- each with endJob).
-- Inputs: queue, now, limit (NULL = all) for dueExpiries; queue, seq[], now for expirable.
-- Effect: none here (rows are locked until commit).
-- Returns: waiting, delayed and waiting-children rows with createdAt + ttl <= now, earliest first.

-- @name dueExpiries
SELECT * FROM {{schema}}.jobs
WHERE queue = $1 AND expires_at IS NOT NULL AND state IN ('waiting', 'delayed', 'waiting-children')
  AND expires_at <= $2
ORDER BY expires_at LIMIT $3
FOR UPDATE SKIP LOCKED;

-- @name expirable
-- Inputs: queue, seq[], now. The given jobs that are still waiting and past their ttl.
SELECT * FROM {{schema}}.jobs
WHERE queue = $1 AND seq = ANY($2::bigint[]) AND state = 'waiting' AND expires_at <= $3
ORDER BY seq
FOR UPDATE;
