-- enqueue: inserts new jobs.
-- enqueuePlain is the bulk path for jobs without custom id, dedup or parents: ONE statement per
-- chunk that reserves the chunk's ids, inserts every row from unnest arrays and publishes.
-- The other statements serve the general path, one job at a time inside a transaction.
-- Returns: enqueuePlain the id base (job i gets base + i + 1); see each statement.

-- @name enqueuePlain
-- Inputs: $1 queue, $2 count, $3 task[], $4 data[], $5 priority[], $6 max_retries[], $7 created_at[],
-- $8 run_at[], $9 ttl[], $10 timeout[], $11 backoff[], $12 on_parent_failure[],
-- $13 remove_on_complete[], $14 remove_on_fail[], $15 inherit[], $16 origin, $17 trace_context[].
-- Effect: rows in waiting (or delayed when run_at > created_at), in FIFO order; job:waiting /
-- job:delayed published with wake-ups "job" / "delayed".
WITH ids AS (
  INSERT INTO {{schema}}.queues AS q (name, last_id) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET last_id = q.last_id + excluded.last_id
  RETURNING last_id - $2 AS base
),
ins AS (
  INSERT INTO {{schema}}.jobs (
    queue, id, task, data, state, priority, max_retries, created_at, run_at, ttl, expires_at, timeout,
    backoff, on_parent_failure, remove_on_complete, remove_on_fail, inherit, trace_context
  )
  SELECT $1, ((SELECT base FROM ids) + t.ord)::text, t.task, t.data,
    CASE WHEN t.run_at > t.created_at THEN 'delayed' ELSE 'waiting' END,
    t.priority, t.max_retries, t.created_at, t.run_at, t.ttl, t.created_at + t.ttl, t.timeout,
    t.backoff, t.opf, t.roc, t.rof, t.inherit, t.trace
  FROM unnest($3::text[], $4::text[], $5::integer[], $6::integer[], $7::bigint[], $8::bigint[],
              $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
              $17::text[])
       WITH ORDINALITY AS t(task, data, priority, max_retries, created_at, run_at, ttl, timeout,
                            backoff, opf, roc, rof, inherit, trace, ord)
  ORDER BY t.ord
  RETURNING seq, id, task, state, run_at
),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $16 AND expires_at > now()) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $16,
    array_remove(ARRAY[
      CASE WHEN bool_or(state = 'waiting') THEN 'job' END,
      CASE WHEN bool_or(state = 'delayed') THEN 'delayed' END], NULL),
    (json_agg(CASE WHEN state = 'waiting'
      THEN json_build_object('name', 'job:waiting', 'payload',
        json_build_object('queue', $1, 'jobId', id, 'task', task))
      ELSE json_build_object('name', 'job:delayed', 'payload',
        json_build_object('queue', $1, 'jobId', id, 'task', task, 'runAt', run_at))
      END ORDER BY seq) FILTER (WHERE (SELECT yes FROM remote)))::text)
  FROM ins
)
SELECT (SELECT base FROM ids) AS base, (SELECT count(*) FROM pub) AS published;

-- @name enqueueWithIds
-- enqueuePlain for a chunk where some jobs carry a custom id (still no dedup or parents).
-- Inputs: as enqueuePlain but $17 custom id[] (NULL = generate) and $18 trace_context[]; $2 is the
-- number of NULLs.
-- Effect: a custom id that exists (or repeats earlier in the chunk) inserts nothing and publishes
-- job:duplicated; the rest as enqueuePlain. Every job of the chunk is published in input order.
-- Returns: base (the generated-id base, NULL when none was generated), then per job (by ordinal):
-- its id, whether it was inserted, and its state and task (the existing job's for a duplicate).
WITH t AS (
  SELECT *, sum((cid IS NULL)::integer) OVER (ORDER BY ord) AS gen_n
  FROM unnest($3::text[], $4::text[], $5::integer[], $6::integer[], $7::bigint[], $8::bigint[],
              $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
              $17::text[], $18::text[])
       WITH ORDINALITY AS t(task, data, priority, max_retries, created_at, run_at, ttl, timeout,
                            backoff, opf, roc, rof, inherit, cid, trace, ord)
),
ids AS (
  INSERT INTO {{schema}}.queues AS q (name, last_id) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET last_id = q.last_id + excluded.last_id WHERE excluded.last_id > 0
  RETURNING last_id - $2 AS base
),
r AS (
  SELECT t.*, coalesce(t.cid, ((SELECT base FROM ids) + t.gen_n)::text) AS id,
         t.ord = min(t.ord) OVER (PARTITION BY coalesce(t.cid, t.ord::text)) AS first
  FROM t
),
ins AS (
  INSERT INTO {{schema}}.jobs (
    queue, id, task, data, state, priority, max_retries, created_at, run_at, ttl, expires_at, timeout,
    backoff, on_parent_failure, remove_on_complete, remove_on_fail, inherit, trace_context
  )
  SELECT $1, r.id, r.task, r.data,
    CASE WHEN r.run_at > r.created_at THEN 'delayed' ELSE 'waiting' END,
    r.priority, r.max_retries, r.created_at, r.run_at, r.ttl, r.created_at + r.ttl, r.timeout,
    r.backoff, r.opf, r.roc, r.rof, r.inherit, r.trace
  FROM r
  ORDER BY r.ord
  ON CONFLICT (queue, id) DO NOTHING
  RETURNING id, task, state, run_at
),
res AS (
  SELECT r.ord, r.id, (i.id IS NOT NULL AND r.first) AS inserted,
         coalesce(e.state, i.state) AS state, coalesce(e.task, i.task) AS task, i.run_at
  FROM r
  LEFT JOIN ins i ON i.id = r.id
  LEFT JOIN {{schema}}.jobs e ON e.queue = $1 AND e.id = r.cid
),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $16 AND expires_at > now()) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $16,
    array_remove(ARRAY[
      CASE WHEN bool_or(inserted AND state = 'waiting') THEN 'job' END,
      CASE WHEN bool_or(inserted AND state = 'delayed') THEN 'delayed' END], NULL),
    (json_agg(CASE
      WHEN NOT inserted THEN json_build_object('name', 'job:duplicated', 'payload',
        json_build_object('queue', $1, 'jobId', id, 'task', task))
      WHEN state = 'waiting' THEN json_build_object('name', 'job:waiting', 'payload',
        json_build_object('queue', $1, 'jobId', id, 'task', task))
      ELSE json_build_object('name', 'job:delayed', 'payload',
        json_build_object('queue', $1, 'jobId', id, 'task', task, 'runAt', run_at))
      END ORDER BY ord) FILTER (WHERE (SELECT yes FROM remote)))::text)
  FROM res
)
SELECT res.ord, res.id, res.inserted, res.state, res.task, (SELECT count(*) FROM pub) AS published
FROM res ORDER BY res.ord;

-- @name nextId
-- Inputs: queue. Reserves one generated id (the queue row stays locked until commit).
INSERT INTO {{schema}}.queues AS q (name, last_id) VALUES ($1, 1)
ON CONFLICT (name) DO UPDATE SET last_id = q.last_id + 1
RETURNING last_id;

-- @name lockKey
-- Inputs: a text key. Serialises writers of one dedup key until commit.
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- @name jobInsert
-- Inputs: the row (newJobRow in shared/sql-rows.ts) as a JSON object keyed by column; lifo (a
-- negative fifo: ahead of every FIFO job of its priority, the newest first).
-- No row returned = the id exists (a concurrent insert).
INSERT INTO {{schema}}.jobs (
  queue, id, task, data, state, priority, max_retries, created_at, run_at, ttl, expires_at, timeout,
  backoff, depends_on, pending_parents, on_parent_failure, remove_on_complete, remove_on_fail,
  inherit, dedup_key, error, finished_at, trace_context, fifo
)
SELECT queue, id, task, data, state, priority, max_retries, created_at, run_at, ttl, created_at + ttl,
  timeout, backoff, depends_on, pending_parents, on_parent_failure, remove_on_complete, remove_on_fail,
  inherit, dedup_key, error, finished_at, trace_context,
  CASE WHEN $2::boolean THEN -nextval('{{schema}}.fifo_seq') ELSE nextval('{{schema}}.fifo_seq') END
FROM json_populate_record(NULL::{{schema}}.jobs, $1::json)
ON CONFLICT (queue, id) DO NOTHING
RETURNING seq;

-- @name lockParents
-- Inputs: the parents' queues and ids (pairwise; any queue). Locks the parents so none finishes
-- before this job's edges commit.
SELECT * FROM {{schema}}.jobs
WHERE (queue, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY seq
FOR UPDATE;

-- @name dedupGet
-- Inputs: queue, key. The job a dedup key points at, when it was added, its state and task.
SELECT d.job_id, d.added_at, j.state, j.task
FROM {{schema}}.dedup d JOIN {{schema}}.jobs j ON j.queue = d.queue AND j.id = d.job_id
WHERE d.queue = $1 AND d.key = $2;

-- @name dedupSet
-- Inputs: queue, key, job_id, added_at.
INSERT INTO {{schema}}.dedup (queue, key, job_id, added_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (queue, key) DO UPDATE SET job_id = excluded.job_id, added_at = excluded.added_at;

-- @name dedupExtend
-- Inputs: queue, key, added_at. A duplicate with extend restarts the key's ttl window.
UPDATE {{schema}}.dedup SET added_at = $3 WHERE queue = $1 AND key = $2;

-- @name depInsert
-- Inputs: the parents' queues and ids (pairwise), the child's queue and id; marks the parents as
-- having dependants.
WITH edges AS (
  INSERT INTO {{schema}}.job_deps (queue, parent_id, child_queue, child_id)
  SELECT pq, p, $3, $4 FROM unnest($1::text[], $2::text[]) AS t(pq, p)
  ON CONFLICT DO NOTHING
)
UPDATE {{schema}}.jobs SET has_dependants = true
WHERE (queue, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT has_dependants;

-- @name queueEnsure
-- Inputs: queue. Makes the queue listed (listQueues) when a job with a custom id is its first.
INSERT INTO {{schema}}.queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING;
