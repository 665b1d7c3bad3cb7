-- obliterate: removes everything a queue has, except its id counters (ids are never reused).
-- Inputs: queue.
-- Effect: deletes jobs (and their finished counts), logs, dependency edges (as parent and as
-- child) and kept dependency outcomes, dedup keys,
-- repeatables, slots, the rate bucket, metrics (minutes and totals), and clears the pause flag and
-- the global concurrency.
-- Returns: activeCount the jobs a worker holds (obliterate refuses them without force);
--   crossParents the ids of its jobs that jobs of OTHER queues wait on (the caller settles those
--   children as for a removed parent before wipeDeps).

-- @name activeCount
SELECT count(*) AS n FROM jobs WHERE queue = ? AND state = 'active';

-- @name wipeJobs
DELETE FROM jobs WHERE queue = ?;

-- @name wipeLogs
DELETE FROM job_logs WHERE queue = ?;

-- @name crossParents
-- Inputs: queue, queue.
SELECT DISTINCT parent_id AS id FROM job_deps WHERE queue = ? AND child_queue <> ?;

-- @name wipeDeps
DELETE FROM job_deps WHERE queue = ?;

-- @name wipeDepsAsChild
DELETE FROM job_deps WHERE child_queue = ?;

-- @name wipeOutcomes
DELETE FROM job_dep_results WHERE queue = ?;

-- @name wipeDedup
DELETE FROM dedup WHERE queue = ?;

-- @name wipeRepeatables
DELETE FROM repeatables WHERE queue = ?;

-- @name wipeSlots
DELETE FROM repeat_slots WHERE queue = ?;

-- @name wipeCounts
DELETE FROM finished_counts WHERE queue = ?;

-- @name wipeBucket
DELETE FROM rate_buckets WHERE queue = ?;

-- @name wipeMetrics
DELETE FROM metrics WHERE queue = ?;

-- @name resetFlags
UPDATE queues SET paused = 0, global_concurrency = NULL WHERE name = ?;
