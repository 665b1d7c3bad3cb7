-- dependency-results: what a waiting job keeps of the jobs it depended on (getDependencyResults),
-- and how a "continue" job stops waiting.
-- Inputs: keepOutcome: the waiting job's queue and id, the dependency's key "<queue>:<id>", its
--   result JSON (completed) or null, its failure text (failed, expired, cancelled, removed) or null;
--   keptOutcomes: the waiting job's queue and id; dropParents: the job's queue, id and seq.
-- Effect: keepOutcome stores (or replaces) one dependency's outcome; dropParents deletes every edge
--   the job waits on (in any queue) and zeroes its pending-parent count. Outcomes are deleted with
--   their job (jobsDelete) or queue (wipe).
-- Returns: keptOutcomes the rows (dep, result, failure) of a job.

-- @name keepOutcome
INSERT INTO {{schema}}.job_dep_results (queue, job_id, dep, result, failure) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (queue, job_id, dep) DO UPDATE SET result = excluded.result, failure = excluded.failure;

-- @name keptOutcomes
SELECT dep, result, failure FROM {{schema}}.job_dep_results WHERE queue = $1 AND job_id = $2;

-- @name dropParents
WITH edges AS (
  DELETE FROM {{schema}}.job_deps WHERE child_queue = $1 AND child_id = $2
)
UPDATE {{schema}}.jobs SET pending_parents = 0 WHERE seq = $3;
