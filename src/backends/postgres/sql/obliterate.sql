-- obliterate: removes everything a queue has, except its id counter (ids are never reused).
-- Inputs: queue.
-- Effect: wipe deletes jobs, logs, dependency edges, dedup keys, repeatables, slots, the rate bucket,
-- metrics (minutes and totals), and clears the pause flag and the global concurrency.
-- Returns: activeCount the jobs a worker holds (obliterate refuses them without force).

-- @name activeCount
SELECT count(*)::integer AS n FROM {{schema}}.jobs WHERE queue = $1 AND state = 'active';

-- @name wipe
WITH jobs AS (DELETE FROM {{schema}}.jobs WHERE queue = $1),
logs AS (DELETE FROM {{schema}}.job_logs WHERE queue = $1),
deps AS (DELETE FROM {{schema}}.job_deps WHERE queue = $1),
keys AS (DELETE FROM {{schema}}.dedup WHERE queue = $1),
reps AS (DELETE FROM {{schema}}.repeatables WHERE queue = $1),
slots AS (DELETE FROM {{schema}}.repeat_slots WHERE queue = $1),
bucket AS (DELETE FROM {{schema}}.rate_buckets WHERE queue = $1),
metric_rows AS (DELETE FROM {{schema}}.metrics WHERE queue = $1)
UPDATE {{schema}}.queues SET paused = false, global_concurrency = NULL WHERE name = $1;
