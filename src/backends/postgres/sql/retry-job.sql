-- retryJob / retryJobs: an admin sends finished jobs (failed, expired, cancelled, completed) back to
-- waiting.
-- Inputs: queue, id (retryJob); queue, state, olderThan, limit (retryJobs).
-- Effect: -> waiting at the FIFO tail with attempts, stalledCount and stall charge 0; error, result,
-- finishedAt and any scheduled removal cleared. retryJobs takes the jobs of `state` that finished
-- before olderThan, oldest finished first (equal times in creation order), and numbers them in that order.
-- Returns: id and task per job retried (retryJobs in FIFO order); no row = none (the job is absent
-- or not finished).

-- @name retryJob
UPDATE {{schema}}.jobs
SET state = 'waiting', attempts = 0, stalled_count = 0, stall_charge = 0, stall_peers = 0, error = NULL,
    result = NULL, finished_at = NULL, remove_at = NULL, fifo = nextval('{{schema}}.fifo_seq')
WHERE queue = $1 AND id = $2 AND state IN ('failed', 'expired', 'cancelled', 'completed')
RETURNING id, task;

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
