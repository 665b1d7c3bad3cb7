-- repeatables: durable definitions, and the last slot fired and the slots fired so far (runs) per
-- repeat id.
-- Inputs: queue, id and the definition's columns as listed per statement.
-- Effect: upsert/remove/pause definitions; slotClaim records a fired slot and counts it
-- (fireRepeatable's guard).
-- Returns: definitions with their runs, or the last slot fired and the runs.

-- @name repeatableUpsert
-- Inputs: queue, id, def JSON, next_run, paused.
WITH q AS (INSERT INTO {{schema}}.queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING)
INSERT INTO {{schema}}.repeatables (queue, id, def, next_run, paused) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (queue, id) DO UPDATE SET def = excluded.def, next_run = excluded.next_run, paused = excluded.paused;

-- @name repeatableLock
-- Inputs: queue, id. Locked so a concurrent pause or removal waits for the fire in progress.
SELECT paused FROM {{schema}}.repeatables WHERE queue = $1 AND id = $2 FOR UPDATE;

-- @name repeatableList
SELECT r.id, r.def, r.next_run, r.paused, coalesce(s.runs, 0) AS runs
FROM {{schema}}.repeatables r
LEFT JOIN {{schema}}.repeat_slots s ON s.queue = r.queue AND s.repeat_id = r.id
WHERE r.queue = $1 ORDER BY r.id;

-- @name repeatableDelete
-- Inputs: queue, id. Removes the definition and its last-slot record.
WITH slot AS (DELETE FROM {{schema}}.repeat_slots WHERE queue = $1 AND repeat_id = $2)
DELETE FROM {{schema}}.repeatables WHERE queue = $1 AND id = $2
RETURNING id;

-- @name repeatableSetPaused
-- Inputs: paused, next_run (kept when null), queue, id.
UPDATE {{schema}}.repeatables SET paused = $1, next_run = coalesce($2, next_run) WHERE queue = $3 AND id = $4
RETURNING id;

-- @name repeatableSetNextRun
UPDATE {{schema}}.repeatables SET next_run = $1 WHERE queue = $2 AND id = $3;

-- @name slotGet
SELECT last_slot, runs FROM {{schema}}.repeat_slots WHERE queue = $1 AND repeat_id = $2;

-- @name slotClaim
-- Inputs: queue, repeat_id, slot, limit (NULL = none). A row comes back only when `slot` is later
-- than the last slot fired and fewer than `limit` slots have fired (it then counts one more);
-- concurrent claimers of one slot queue on the row lock and then find it taken.
INSERT INTO {{schema}}.repeat_slots AS s (queue, repeat_id, last_slot, runs) VALUES ($1, $2, $3, 1)
ON CONFLICT (queue, repeat_id) DO UPDATE SET last_slot = excluded.last_slot, runs = s.runs + 1
  WHERE s.last_slot < excluded.last_slot AND ($4::integer IS NULL OR s.runs < $4::integer)
RETURNING last_slot;

-- @name fire
-- fireRepeatable in ONE statement, for a job without dedup or parents (what schedulers fire).
-- Inputs: $1 queue, $2 repeat_id, $3 slot, $4 next_run, $5 job id (NULL = generate), $6 task,
-- $7 data, $8 priority, $9 max_retries, $10 created_at, $11 run_at, $12 ttl, $13 timeout,
-- $14 backoff, $15 on_parent_failure, $16 remove_on_complete, $17 remove_on_fail, $18 inherit,
-- $19 origin, $20 limit (NULL = none).
-- Effect: unless the stored definition is paused (its row is locked first, so pause and fire
-- serialise), `slot` is not later than the last slot fired (concurrent firers of one slot queue
-- on the slot row and then find it taken) or `limit` slots have fired: records the slot and one
-- more run, inserts the job (an existing custom id
-- is a duplicate), sets the definition's next_run and publishes the job's event and wake-up.
-- Returns: fired (the slot was taken), id, inserted (false = duplicate id), state.
WITH def AS (
  SELECT paused FROM {{schema}}.repeatables WHERE queue = $1 AND id = $2 FOR UPDATE
),
slot AS (
  INSERT INTO {{schema}}.repeat_slots AS s (queue, repeat_id, last_slot, runs)
  SELECT $1, $2, $3, 1 WHERE NOT EXISTS (SELECT 1 FROM def WHERE paused)
  ON CONFLICT (queue, repeat_id) DO UPDATE SET last_slot = excluded.last_slot, runs = s.runs + 1
    WHERE s.last_slot < excluded.last_slot AND ($20::integer IS NULL OR s.runs < $20::integer)
  RETURNING last_slot
),
ids AS (
  INSERT INTO {{schema}}.queues AS q (name, last_id)
  SELECT $1, CASE WHEN $5::text IS NULL THEN 1 ELSE 0 END FROM slot
  ON CONFLICT (name) DO UPDATE SET last_id = q.last_id + excluded.last_id WHERE excluded.last_id > 0
  RETURNING last_id
),
ins AS (
  INSERT INTO {{schema}}.jobs (
    queue, id, task, data, state, priority, max_retries, created_at, run_at, ttl, expires_at, timeout,
    backoff, on_parent_failure, remove_on_complete, remove_on_fail, inherit
  )
  SELECT $1, coalesce($5::text, (SELECT last_id FROM ids)::text), $6, $7,
    CASE WHEN $11::bigint > $10::bigint THEN 'delayed' ELSE 'waiting' END,
    $8, $9, $10, $11, $12::bigint, $10::bigint + $12::bigint, $13, $14, $15, $16, $17, $18
  FROM slot
  ON CONFLICT (queue, id) DO NOTHING
  RETURNING id, state
),
next_run AS (
  UPDATE {{schema}}.repeatables SET next_run = $4
  WHERE queue = $1 AND id = $2 AND EXISTS (SELECT 1 FROM slot)
),
pub AS (
  SELECT {{schema}}.publish($1, $19,
    CASE WHEN i.state = 'waiting' THEN ARRAY['job'] WHEN i.state = 'delayed' THEN ARRAY['delayed'] ELSE '{}' END,
    json_build_array(CASE
      WHEN i.state = 'waiting' THEN json_build_object('name', 'job:waiting', 'payload',
        json_build_object('queue', $1, 'jobId', i.id, 'task', $6))
      WHEN i.state = 'delayed' THEN json_build_object('name', 'job:delayed', 'payload',
        json_build_object('queue', $1, 'jobId', i.id, 'task', $6, 'runAt', $11::bigint))
      ELSE json_build_object('name', 'job:duplicated', 'payload',
        json_build_object('queue', $1, 'jobId', $5::text, 'task', $6))
      END)::text)
  FROM slot LEFT JOIN ins i ON true
)
SELECT EXISTS (SELECT 1 FROM slot) AS fired,
       coalesce((SELECT id FROM ins), $5::text) AS id,
       EXISTS (SELECT 1 FROM ins) AS inserted,
       (SELECT state FROM ins) AS state,
       (SELECT count(*) FROM pub) AS published;
