-- queues: the pause flag, the global concurrency and the queue list.
-- Inputs: queue name (and the flag or the limit, origin for the setters).
-- Effect: setPaused stores the flag and publishes queue:paused / queue:resumed (resume also wakes);
-- setGlobalConcurrency stores the limit (NULL: none) and wakes "resume".
-- Returns: the flag; the limit; the queues that hold jobs, repeatables or a pause flag, by name.

-- @name isPaused
SELECT paused FROM {{schema}}.queues WHERE name = $1;

-- @name globalConcurrency
SELECT global_concurrency FROM {{schema}}.queues WHERE name = $1;

-- @name setGlobalConcurrency
-- Inputs: queue, limit (NULL: none), origin.
WITH q AS (
  INSERT INTO {{schema}}.queues (name, global_concurrency) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET global_concurrency = excluded.global_concurrency
)
SELECT {{schema}}.publish($1, $3, ARRAY['resume'], NULL);

-- @name setPaused
-- Inputs: queue, paused, origin.
WITH q AS (
  INSERT INTO {{schema}}.queues (name, paused) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET paused = excluded.paused
)
SELECT {{schema}}.publish($1, $3,
  CASE WHEN $2 THEN '{}'::text[] ELSE ARRAY['resume'] END,
  json_build_array(json_build_object('name', CASE WHEN $2 THEN 'queue:paused' ELSE 'queue:resumed' END,
    'payload', json_build_object('queue', $1)))::text);

-- @name listQueues
SELECT name FROM {{schema}}.queues q
WHERE paused
   OR EXISTS (SELECT 1 FROM {{schema}}.jobs j WHERE j.queue = q.name)
   OR EXISTS (SELECT 1 FROM {{schema}}.repeatables r WHERE r.queue = q.name)
ORDER BY name;
