-- recoverStalled: active jobs whose lease lapsed (their worker died or hung), charged by the stall
-- rule of shared/rules.ts (chargeStall): a dead worker charges each job it held 1/max(C, N), C its
-- concurrency (stall_peers, stored at claim) and N the jobs it holds.
-- Inputs: queue, now (expiredLeases); queue (heldByWorker); peers, queue, worker_id, now (markPeers);
-- stalled_count, stall_charge, fifo, seq (requeueStalled); stalled_count, stall_charge, seq
-- (chargeStall, before the caller fails the job with endJob).
-- Effect: requeueStalled puts a job back to waiting, attempts - 1 (a stall does not use up a
-- retry), lease cleared; markPeers records on a dead worker's jobs whose lease still runs how many
-- jobs it held, for the sweep that recovers them.
-- Returns: nextLeaseExpiry the earliest lease expiry of the queue's active jobs (NULL: none), which
-- tells the sweeper when to look next; expiredLeases the rows whose lease lapsed, oldest expiry
-- first, then in creation order (the jobs of one claim share an expiry); heldByWorker the count of
-- active jobs per worker.

-- @name nextLeaseExpiry
SELECT min(lease_expires_at) AS at FROM jobs WHERE queue = ? AND state = 'active';

-- @name expiredLeases
SELECT * FROM jobs WHERE queue = ? AND state = 'active' AND lease_expires_at < ? ORDER BY lease_expires_at, seq;

-- @name heldByWorker
SELECT worker_id, count(*) AS held FROM jobs WHERE queue = ? AND state = 'active' GROUP BY worker_id;

-- @name markPeers
UPDATE jobs SET stall_peers = max(stall_peers, ?)
WHERE queue = ? AND state = 'active' AND worker_id = ? AND lease_expires_at >= ?;

-- @name requeueStalled
UPDATE jobs
SET state = 'waiting', attempts = attempts - 1, stalled_count = ?, stall_charge = ?, stall_peers = 0,
    fifo = ?, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = ?;

-- @name chargeStall
UPDATE jobs SET stalled_count = ?, stall_charge = ?, stall_peers = 0 WHERE seq = ?;
