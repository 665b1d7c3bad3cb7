-- retryJobs: an admin sends a batch of finished jobs of one state back to waiting, in ONE statement.
-- Inputs: $1 queue, $2 state, $3 olderThan, $4 limit.
-- Effect: the jobs of `state` that finished before olderThan, oldest finished first (equal times in
-- creation order), up to limit, each as retryJob does, numbered at the FIFO tail in that order.
-- Returns: id and task per job retried, in FIFO order.

-- @name retryJobs
WITH picked AS (
  SELECT seq, nextval('{{schema}}.fifo_seq') AS fifo FROM (
    SELECT seq FROM {{schema}}.jobs
    WHERE queue = $1 AND state = $2 AND finished_at IS NOT NULL AND finished_at < $3
    ORDER BY finished_at, seq LIMIT $4
    FOR UPDATE SKIP LOCKED
  ) p
),
moved AS (
  UPDATE {{schema}}.jobs j
  SET state = 'waiting', attempts = 0, stalled_count = 0, stall_charge = 0, stall_peers = 0, error = NULL,
      result = NULL, finished_at = NULL, remove_at = NULL, fifo = picked.fifo
  FROM picked WHERE j.seq = picked.seq
  RETURNING j.id, j.task, picked.fifo
)
SELECT id, task FROM moved ORDER BY fifo;
