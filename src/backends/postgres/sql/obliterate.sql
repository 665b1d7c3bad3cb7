-- obliterate: removes everything a queue has, except its id counter (ids are never reused).
-- Inputs: queue.
-- Effect: wipe deletes jobs, logs, the edges of its jobs as children, kept dependency outcomes,
-- dedup keys, repeatables, slots, the rate bucket, metrics (minutes and totals), and clears the
-- pause flag and the global concurrency; the caller then settles the jobs of OTHER queues waiting
-- on its jobs (crossParents, read before) and wipeParentDeps deletes what edges are left.
-- Returns: activeCount the jobs a worker holds (obliterate refuses them without force);
--   crossParents the ids of its jobs that jobs of other queues wait on.

-- @name activeCount
SELECT count(*)::integer AS n FROM {{schema}}.jobs WHERE queue = $1 AND state = 'active';

-- @name crossParents
SELECT DISTINCT parent_id AS id FROM {{schema}}.job_deps WHERE queue = $1 AND child_queue <> $1;

-- @name wipeParentDeps
DELETE FROM {{schema}}.job_deps WHERE queue = $1;

-- @name wipe
WITH jobs AS (DELETE FROM {{schema}}.jobs WHERE queue = $1),
logs AS (DELETE FROM {{schema}}.job_logs WHERE queue = $1),
deps AS (DELETE FROM {{schema}}.job_deps WHERE child_queue = $1),
outcomes AS (DELETE FROM {{schema}}.job_dep_results WHERE queue = $1),
keys AS (DELETE FROM {{schema}}.dedup WHERE queue = $1),
reps AS (DELETE FROM {{schema}}.repeatables WHERE queue = $1),
slots AS (DELETE FROM {{schema}}.repeat_slots WHERE queue = $1),
bucket AS (DELETE FROM {{schema}}.rate_buckets WHERE queue = $1),
metric_rows AS (DELETE FROM {{schema}}.metrics WHERE queue = $1)
UPDATE {{schema}}.queues SET paused = false, global_concurrency = NULL WHERE name = $1;
