-- extendLeases / updateProgress: a worker's writes while it runs a job (fenced by its lease token).
-- Inputs: lease_expires_at or progress JSON, then queue, id, token.
-- Effect: renews the lease / stores progress, only while the token still holds.
-- Returns: extendLease: changes (0 = lease lost); progress: the task, no row = fenced out.

-- @name extendLease
UPDATE jobs SET lease_expires_at = ? WHERE queue = ? AND id = ? AND state = 'active' AND token = ?;

-- @name progress
UPDATE jobs SET progress = ? WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING task;
