-- finish: ends a batch of attempts in ONE statement. Every write is fenced: it applies only while
-- the job is active and holds the item's token.

-- @name finishBatch
-- Inputs: $1 queue, $2 now, $3 kind[], $4 job id[], $5 token[], $6 payload[] (result or error
-- JSON; for delayed the new data JSON or NULL), $7 run_at[] (retry, delayed), $8 origin, $9 all: false leaves alone (`pending`) the items whose job
-- has dependants, or is to be removed but has parents or a deduplication key (or its retention age is
-- not in ms), for the caller to finish in a transaction that runs this again with true and then
-- settles those (the items applied before hold no token now), $10 whether the caller builds events
-- of its own (it then needs each applied job's task and attempts).
-- Effect: completed / failed / expired (attempts - 1) / retry (delayed when run_at > now, else
-- waiting; at the FIFO tail either way, which orders equal runAts) / released (waiting at the tail,
-- attempts - 1) / delayed (a step job: delayed when run_at > now, else waiting, at the FIFO tail,
-- attempts - 1, data replaced when given); lease cleared. For one job, only its first item with the right token counts.
-- Retention (removeOnComplete / removeOnFail for the new state), without a transaction of
-- statements per job: a job to remove at once with nothing else to settle (no dependants, no
-- parents, no deduplication key) is deleted here with its logs (a DELETE writes no index entry); an
-- age sets remove_at here; a count is left to the caller, who trims once per batch (`retention`).
-- Publishes the events and wake-ups; on a queue with a global concurrency, any applied item opened
-- a slot, so it wakes "job".
-- Returns: per applied (or so removed) item its ordinal (1-based), `retention` (the spec for its new
-- state; NULL once removed), task and attempts (with $9 or $10, else NULL), and seq, id and
-- has_dependants for its dependants (with $9, else NULL: a busy worker's batch returns two columns
-- a job, which Node parses); per item left alone, its ordinal (`pending`); one `limited` row when
-- items applied on a queue with a global concurrency.
WITH items AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
    WITH ORDINALITY AS i(kind, id, token, payload, run_at, ord)
),
-- The lookup is by (queue, id) per item, and the fence is the token alone: a token is set exactly
-- while a job is active, and leaving `state` out keeps the planner off the jobs_leases index (a scan
-- of every active job of the queue per batch).
-- `spec`: the retention for the new state ('true', 'false' or {age, count} as JSON; NULL: keep),
-- read here as it never changes once the job is added.
winners AS (
  SELECT DISTINCT ON (j.seq) j.seq, i.kind, i.token, i.payload, i.run_at, i.ord,
    CASE i.kind WHEN 'completed' THEN j.remove_on_complete
      WHEN 'failed' THEN j.remove_on_fail WHEN 'expired' THEN j.remove_on_fail END AS spec
  FROM items i
  CROSS JOIN LATERAL (
    SELECT seq, remove_on_complete, remove_on_fail FROM {{schema}}.jobs
    WHERE queue = $1 AND id = i.id AND token = i.token LIMIT 1
  ) j
  ORDER BY j.seq, i.ord
),
-- The other conditions are on `j`, the row as locked: a row another transaction changed meanwhile
-- is judged again on its new version. `updated` skips what `removed` deleted, so a row is removed,
-- updated or left pending, never two of them.
removed AS (
  DELETE FROM {{schema}}.jobs j USING winners w
  WHERE j.seq = w.seq AND j.token = w.token AND w.spec = 'true' AND NOT j.has_dependants
    AND j.depends_on IS NULL AND j.dedup_key IS NULL
  RETURNING w.ord, w.kind, w.payload, w.run_at, j.seq, j.id, j.task, j.attempts, false AS has_dependants,
    NULL::text AS retention
),
removed_logs AS (
  DELETE FROM {{schema}}.job_logs l USING removed r WHERE l.queue = $1 AND l.job_id = r.id
),
updated AS (
  UPDATE {{schema}}.jobs j SET
    state = CASE w.kind
      WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' WHEN 'expired' THEN 'expired'
      WHEN 'released' THEN 'waiting'
      ELSE CASE WHEN w.run_at > $2 THEN 'delayed' ELSE 'waiting' END END,
    data = CASE WHEN w.kind = 'delayed' AND w.payload IS NOT NULL THEN w.payload ELSE j.data END,
    result = CASE WHEN w.kind = 'completed' THEN w.payload ELSE j.result END,
    error = CASE WHEN w.kind IN ('failed', 'retry') THEN w.payload ELSE j.error END,
    finished_at = CASE WHEN w.kind IN ('completed', 'failed', 'expired') THEN $2 ELSE j.finished_at END,
    attempts = CASE WHEN w.kind IN ('expired', 'released', 'delayed') THEN j.attempts - 1 ELSE j.attempts END,
    run_at = CASE WHEN w.kind IN ('retry', 'delayed') THEN w.run_at ELSE j.run_at END,
    fifo = CASE WHEN w.kind IN ('released', 'retry', 'delayed') THEN nextval('{{schema}}.fifo_seq') ELSE j.fifo END,
    remove_at = CASE WHEN w.spec LIKE '{%' AND json_typeof(w.spec::json -> 'age') = 'number'
      THEN $2 + (w.spec::json ->> 'age')::bigint ELSE j.remove_at END,
    token = NULL, worker_id = NULL, lease_expires_at = NULL
  FROM winners w
  WHERE j.seq = w.seq AND j.token = w.token AND w.seq NOT IN (SELECT seq FROM removed)
    AND ($9 OR (NOT j.has_dependants AND (w.spec IS NULL OR w.spec = 'false'
      OR (w.spec LIKE '{%' AND json_typeof(w.spec::json -> 'age') IS DISTINCT FROM 'string'))))
  RETURNING w.ord, w.kind, w.payload, w.run_at, j.seq, j.id, j.task, j.attempts, j.has_dependants,
    w.spec AS retention
),
applied AS (SELECT * FROM updated UNION ALL SELECT * FROM removed),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $8 AND expires_at > now()) AS yes
),
limited AS (
  SELECT EXISTS (SELECT 1 FROM applied)
    AND EXISTS (SELECT 1 FROM {{schema}}.queues WHERE name = $1 AND global_concurrency IS NOT NULL) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $8,
    array_remove(ARRAY[
      CASE WHEN bool_or(kind = 'released' OR (kind IN ('retry', 'delayed') AND run_at <= $2)) OR (SELECT yes FROM limited)
        THEN 'job' END,
      CASE WHEN bool_or(kind IN ('retry', 'delayed') AND run_at > $2) THEN 'delayed' END], NULL),
    (json_agg(CASE kind
      WHEN 'completed' THEN json_build_object('name', 'job:completed', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'attempts', attempts, 'result', payload::json))
      WHEN 'retry' THEN json_build_object('name', 'job:retrying', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'error', payload::json, 'attempts', attempts, 'runAt', run_at))
      WHEN 'delayed' THEN CASE WHEN run_at > $2
        THEN json_build_object('name', 'job:delayed', 'payload', json_build_object(
          'queue', $1, 'jobId', id, 'task', task, 'runAt', run_at))
        ELSE json_build_object('name', 'job:waiting', 'payload', json_build_object(
          'queue', $1, 'jobId', id, 'task', task)) END
      WHEN 'failed' THEN json_build_object('name', 'job:failed', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'error', payload::json, 'attempts', attempts))
      ELSE json_build_object('name', 'job:expired', 'payload', json_build_object(
        'queue', $1, 'jobId', id, 'task', task, 'attempts', attempts))
      END ORDER BY ord) FILTER (WHERE kind <> 'released' AND (SELECT yes FROM remote)))::text)
  FROM applied
)
SELECT 'applied' AS outcome, ord, CASE WHEN $9 OR $10 THEN task END AS task,
  CASE WHEN $9 OR $10 THEN attempts END AS attempts, CASE WHEN $9 THEN seq END AS seq,
  CASE WHEN $9 THEN id END AS id, CASE WHEN $9 THEN has_dependants END AS has_dependants, retention
FROM applied
UNION ALL
SELECT 'pending', ord, NULL, NULL, NULL, NULL, NULL, NULL FROM winners WHERE ord NOT IN (SELECT ord FROM applied)
UNION ALL
SELECT 'published', NULL, NULL, count(*)::integer, NULL, NULL, NULL, NULL FROM pub
UNION ALL
SELECT 'limited', NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM limited WHERE yes;
