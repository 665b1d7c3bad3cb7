-- promoteDelayed: due delayed jobs become waiting, in runAt order, in ONE statement.
-- Inputs: $1 queue, $2 now, $3 limit (NULL = all), $4 origin.
-- Effect: delayed -> waiting at the FIFO tail (FIFO positions follow runAt); job:waiting published
-- with a "job" wake-up.
-- Returns: one row per promoted job (runAt order) with next_due (the earliest remaining runAt) on
-- every row; a single row of NULL job columns when none was due.

-- @name promoteDelayed
WITH due AS (
  SELECT seq, nextval('{{schema}}.fifo_seq') AS fifo FROM (
    SELECT seq FROM {{schema}}.jobs
    WHERE queue = $1 AND state = 'delayed' AND run_at <= $2
    ORDER BY run_at LIMIT $3
    FOR UPDATE SKIP LOCKED
  ) d
),
moved AS (
  UPDATE {{schema}}.jobs j SET state = 'waiting', fifo = due.fifo
  FROM due WHERE j.seq = due.seq
  RETURNING j.id, j.task, due.fifo
),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $4 AND expires_at > now()) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $4, ARRAY['job'], (json_agg(json_build_object('name', 'job:waiting',
    'payload', json_build_object('queue', $1, 'jobId', id, 'task', task)) ORDER BY fifo)
    FILTER (WHERE (SELECT yes FROM remote)))::text)
  FROM moved HAVING count(*) > 0
)
SELECT x.next_due, x.published, m.id, m.task
FROM (SELECT (SELECT run_at FROM {{schema}}.jobs
              WHERE queue = $1 AND state = 'delayed' AND seq <> ALL (SELECT seq FROM due)
              ORDER BY run_at LIMIT 1) AS next_due,
             (SELECT count(*) FROM pub) AS published) x
LEFT JOIN moved m ON true
ORDER BY m.fifo;
