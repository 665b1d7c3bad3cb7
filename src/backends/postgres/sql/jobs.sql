-- jobs: lookups and deletion shared by every transition.
-- Inputs: queue and job id, or seqs.
-- Effect: jobsDelete removes jobs with their logs, dedup keys, dependency edges and kept dependency
-- outcomes in one statement.
-- Returns: full job rows for the getters; jobsDelete the ids it removed.

-- @name jobGet
SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND id = $2;

-- @name jobLock
-- Inputs: queue, id. The row, locked until commit.
SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND id = $2 FOR UPDATE;

-- @name jobsDelete
-- Inputs: seq[]. Only the edges go: removeJobs settles the children still waiting on an unfinished
-- job before deleting it, and a finished job's children were settled when it finished.
WITH gone AS (
  DELETE FROM {{schema}}.jobs WHERE seq = ANY($1::bigint[])
  RETURNING queue, id, dedup_key, depends_on IS NOT NULL AS has_parents
),
logs AS (
  DELETE FROM {{schema}}.job_logs l USING gone g WHERE l.queue = g.queue AND l.job_id = g.id
),
keys AS (
  DELETE FROM {{schema}}.dedup d USING gone g
  WHERE d.queue = g.queue AND d.key = g.dedup_key AND d.job_id = g.id
),
as_parent AS (
  DELETE FROM {{schema}}.job_deps e USING gone g WHERE e.queue = g.queue AND e.parent_id = g.id
),
as_child AS (
  DELETE FROM {{schema}}.job_deps e USING gone g WHERE e.child_queue = g.queue AND e.child_id = g.id
),
-- Only a job that had a dependsOn kept outcomes.
outcomes AS (
  DELETE FROM {{schema}}.job_dep_results r USING gone g
  WHERE g.has_parents AND r.queue = g.queue AND r.job_id = g.id
)
SELECT id FROM gone;
