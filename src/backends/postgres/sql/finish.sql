-- finish: ends a batch of attempts. finishFast applies, in ONE statement, every item whose job has
-- no dependants and no retention rule for its new state; the caller finishes the rest (`pending`)
-- in a transaction, one by one with finishOne (which re-checks the fence).
-- Every write is fenced: it applies only while the job is active and holds the item's token.

-- @name finishFast
-- Inputs: $1 queue, $2 now, $3 kind[], $4 job id[], $5 token[], $6 payload[] (result or error
-- JSON), $7 run_at[] (retry), $8 origin.
-- Effect: completed / failed / expired (attempts - 1) / retry (delayed when run_at > now, else
-- waiting at the FIFO tail) / released (waiting at the tail, attempts - 1); lease cleared. For one
-- job, only its first item with the right token counts. Publishes the events and wake-ups.
-- Returns: per applied item its ordinal (1-based), task and attempts (`applied`); per item with a
-- matching token that this statement left alone, its ordinal (`pending`).
WITH items AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
    WITH ORDINALITY AS i(kind, id, token, payload, run_at, ord)
),
-- The lookup is by (queue, id) per item, and the fence is the token alone: a token is set exactly
-- while a job is active, and leaving `state` out keeps the planner off the jobs_leases index (a scan
-- of every active job of the queue per batch).
winners AS (
  SELECT DISTINCT ON (j.seq) j.seq, i.kind, i.token, i.payload, i.run_at, i.ord
  FROM items i
  CROSS JOIN LATERAL (
    SELECT seq FROM {{schema}}.jobs WHERE queue = $1 AND id = i.id AND token = i.token LIMIT 1
  ) j
  ORDER BY j.seq, i.ord
),
applied AS (
  UPDATE {{schema}}.jobs j SET
    state = CASE w.kind
      WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' WHEN 'expired' THEN 'expired'
      WHEN 'released' THEN 'waiting'
      ELSE CASE WHEN w.run_at > $2 THEN 'delayed' ELSE 'waiting' END END,
    result = CASE WHEN w.kind = 'completed' THEN w.payload ELSE j.result END,
    error = CASE WHEN w.kind IN ('failed', 'retry') THEN w.payload ELSE j.error END,
    finished_at = CASE WHEN w.kind IN ('completed', 'failed', 'expired') THEN $2 ELSE j.finished_at END,
    attempts = CASE WHEN w.kind IN ('expired', 'released') THEN j.attempts - 1 ELSE j.attempts END,
    run_at = CASE WHEN w.kind = 'retry' THEN w.run_at ELSE j.run_at END,
    fifo = CASE WHEN w.kind = 'released' OR (w.kind = 'retry' AND w.run_at <= $2)
      THEN nextval('{{schema}}.fifo_seq') ELSE j.fifo END,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
  FROM winners w
  WHERE j.seq = w.seq AND j.token = w.token AND NOT j.has_dependants
    AND CASE w.kind
      WHEN 'completed' THEN j.remove_on_complete IS NULL
      WHEN 'failed' THEN j.remove_on_fail IS NULL
      WHEN 'expired' THEN j.remove_on_fail IS NULL
      ELSE true END
  RETURNING w.ord, w.kind, w.payload, w.run_at, j.id, j.task, j.attempts
),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $8 AND expires_at > now()) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $8,
    array_remove(ARRAY[
      CASE WHEN bool_or(kind = 'released' OR (kind = 'retry' AND run_at <= $2)) THEN 'job' END,
      CASE WHEN bool_or(kind = 'retry' AND run_at > $2) THEN 'delayed' END], NULL),
    (json_agg(CASE kind
      WHEN 'completed' THEN json_build_object('name', 'job:completed', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'attempts', attempts, 'result', payload::json))
      WHEN 'retry' THEN json_build_object('name', 'job:retrying', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'error', payload::json, 'attempts', attempts, 'runAt', run_at))
      WHEN 'failed' THEN json_build_object('name', 'job:failed', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'error', payload::json, 'attempts', attempts))
      ELSE json_build_object('name', 'job:expired', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'attempts', attempts))
      END ORDER BY ord) FILTER (WHERE kind <> 'released' AND (SELECT yes FROM remote)))::text)
  FROM applied
)
SELECT 'applied' AS outcome, ord, task, attempts FROM applied
UNION ALL
SELECT 'pending', ord, NULL, NULL FROM winners WHERE ord NOT IN (SELECT ord FROM applied)
UNION ALL
SELECT 'published', NULL, NULL, count(*)::integer FROM pub;

-- @name finishOne
-- Inputs: $1 kind, $2 payload (result or error JSON), $3 run_at (retry), $4 now, $5 queue, $6 id,
-- $7 token.
-- Effect: as finishFast for one item, whatever its dependants and retention (the caller applies them).
-- Returns: the row facts for events and dependants, and `retention`: the spec for its new state.
UPDATE {{schema}}.jobs SET
  state = CASE $1
    WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' WHEN 'expired' THEN 'expired'
    WHEN 'released' THEN 'waiting'
    ELSE CASE WHEN $3::bigint > $4::bigint THEN 'delayed' ELSE 'waiting' END END,
  result = CASE WHEN $1 = 'completed' THEN $2 ELSE result END,
  error = CASE WHEN $1 IN ('failed', 'retry') THEN $2 ELSE error END,
  finished_at = CASE WHEN $1 IN ('completed', 'failed', 'expired') THEN $4 ELSE finished_at END,
  attempts = CASE WHEN $1 IN ('expired', 'released') THEN attempts - 1 ELSE attempts END,
  run_at = CASE WHEN $1 = 'retry' THEN $3 ELSE run_at END,
  fifo = CASE WHEN $1 = 'released' OR ($1 = 'retry' AND $3 <= $4)
    THEN nextval('{{schema}}.fifo_seq') ELSE fifo END,
  token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = $5 AND id = $6 AND state = 'active' AND token = $7
RETURNING seq, id, task, attempts, has_dependants,
  CASE $1 WHEN 'completed' THEN remove_on_complete WHEN 'failed' THEN remove_on_fail
    WHEN 'expired' THEN remove_on_fail END AS retention;
