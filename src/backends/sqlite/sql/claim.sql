-- claim: hands waiting jobs (or one job by id) to a worker.
-- Inputs: queue, limit (claimCandidates) or job id (claimOne); then per job: started_at, token,
-- worker_id, lease_expires_at, stall_peers (the worker's concurrency, see chargeStall), seq (markActive).
-- Effect: the job becomes active with attempts + 1 and a lease (expired-ttl jobs are expired by the
-- caller with endJob instead). Before these, in the same write transaction, the caller reads the
-- queue's flags (queueFlags): nothing while paused, and under a global concurrency a limit cut to
-- the room left by the active jobs (activeCount); the single writer makes that count exact.
-- Returns: the candidate rows, read from the jobs_waiting index in (priority, fifo) order.

-- @name claimCandidates
SELECT * FROM jobs WHERE queue = ? AND state = 'waiting' ORDER BY priority, fifo LIMIT ?;

-- @name claimOne
SELECT * FROM jobs WHERE queue = ? AND id = ? AND state = 'waiting';

-- @name markActive
UPDATE jobs
SET state = 'active', attempts = attempts + 1, started_at = ?, token = ?, worker_id = ?, lease_expires_at = ?,
    stall_peers = ?
WHERE seq = ?;
