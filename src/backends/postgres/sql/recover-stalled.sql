-- recoverStalled: active jobs whose lease lapsed (their worker died or hung), charged by the stall
-- rule of shared/rules.ts (chargeStall): a dead worker charges each job it held 1/max(C, N), C its
-- concurrency (stall_peers, stored at claim) and N the jobs it holds.
-- Inputs: queue, now (expiredLeases); queue (heldByWorker); peers, queue, worker_id, now (markPeers);
-- stalled_count, stall_charge, seq (requeueStalled; chargeStall, before the caller fails the job
-- with endJob).
-- Effect: requeueStalled puts a job back to waiting at the FIFO tail, attempts - 1 (a stall does
-- not use up a retry), lease cleared; markPeers records on a dead worker's jobs whose lease still
-- runs how many jobs it held, for the sweep that recovers them.
-- Returns: nextLeaseExpiry the earliest lease expiry of the queue's active jobs (NULL: none), which
-- tells the sweeper when to look next; expiredLeases the rows whose lease lapsed (locked), oldest
-- expiry first, then in creation order (the jobs of one claim share an expiry: without it their
-- order back in waiting followed where their rows lay); heldByWorker the count of active jobs per
-- worker.

-- @name nextLeaseExpiry
SELECT min(lease_expires_at) AS at FROM {{schema}}.jobs WHERE queue = $1 AND state = 'active';

-- @name expiredLeases
SELECT * FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'active' AND lease_expires_at < $2
ORDER BY lease_expires_at, seq
FOR UPDATE SKIP LOCKED;

-- @name heldByWorker
SELECT worker_id, count(*)::integer AS held FROM {{schema}}.jobs
WHERE queue = $1 AND state = 'active'
GROUP BY worker_id;

-- @name markPeers
-- SKIP LOCKED: a row locked now is being renewed, so its worker lives; waiting for it could deadlock.
UPDATE {{schema}}.jobs SET stall_peers = greatest(stall_peers, $1)
WHERE seq IN (
  SELECT seq FROM {{schema}}.jobs
  WHERE queue = $2 AND state = 'active' AND worker_id = $3 AND lease_expires_at >= $4
  FOR UPDATE SKIP LOCKED
);

-- @name requeueStalled
UPDATE {{schema}}.jobs
SET state = 'waiting', attempts = attempts - 1, stalled_count = $1, stall_charge = $2, stall_peers = 0,
    fifo = nextval('{{schema}}.fifo_seq'), token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE seq = $3;

-- @name chargeStall
UPDATE {{schema}}.jobs SET stalled_count = $1, stall_charge = $2, stall_peers = 0 WHERE seq = $3;
