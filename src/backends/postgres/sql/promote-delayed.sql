-- promoteDelayed / promoteJobs: delayed jobs become waiting, in runAt order, in ONE statement.
-- promoteDelayed takes those due (until = now), promoteJobs any (until = the largest time).
-- Inputs: $1 queue, $2 now, $3 limit (NULL = all), $4 origin, $5 until.
-- Effect: promoters of one queue take turns, through a transaction advisory lock on the queue held
-- to commit: a batch is the earliest jobs with run_at <= until by (run_at, fifo) (equal runAts in
-- the order they became delayed: abs(fifo)), numbered at the FIFO tail (a lifo job, negative
-- fifo, at the head: the new fifo keeps the sign) and committed whole before the next
-- promoter reads. Without the turn (another promoter holds it) nothing changes: the caller waits
-- for it with promoteTurn in a transaction and runs this again there, so that it reads after that
-- commit. delayed -> waiting, run_at = min(run_at, now); job:waiting published with a "job" wake-up.
-- Returns: one row per promoted job (FIFO order) with `turn` (false: not promoted, see above) and
-- next_due (the earliest remaining runAt) on every row; a single row of NULL job columns when none
-- was promoted.

-- @name promoteDelayed
WITH turn AS MATERIALIZED (
  SELECT pg_try_advisory_xact_lock(hashtextextended('{{schema}} promote ' || $1, 0)) AS mine
),
due AS (
  SELECT seq, nextval('{{schema}}.fifo_seq') AS fifo FROM (
    SELECT seq FROM {{schema}}.jobs
    WHERE queue = $1 AND state = 'delayed' AND run_at <= $5 AND (SELECT mine FROM turn)
    ORDER BY run_at, abs(fifo) LIMIT $3
    FOR UPDATE SKIP LOCKED
  ) d
),
moved AS (
  UPDATE {{schema}}.jobs j SET state = 'waiting', fifo = CASE WHEN j.fifo < 0 THEN -due.fifo ELSE due.fifo END, run_at = LEAST(j.run_at, $2)
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
SELECT x.turn, x.next_due, x.published, m.id, m.task
FROM (SELECT (SELECT mine FROM turn) AS turn,
             (SELECT run_at FROM {{schema}}.jobs
              WHERE queue = $1 AND state = 'delayed' AND seq <> ALL (SELECT seq FROM due)
              ORDER BY run_at LIMIT 1) AS next_due,
             (SELECT count(*) FROM pub) AS published) x
LEFT JOIN moved m ON true
ORDER BY m.fifo;

-- @name promoteTurn
-- Inputs: $1 queue. Waits for the queue's promotion turn (see above), held until commit.
SELECT pg_advisory_xact_lock(hashtextextended('{{schema}} promote ' || $1, 0));
