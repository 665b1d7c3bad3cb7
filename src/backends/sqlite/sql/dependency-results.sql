-- dependency-results: what a waiting job keeps of the jobs it depended on (getDependencyResults).
-- Inputs: keepOutcome: the waiting job's queue and id, the dependency's key "<queue>:<id>", its
--   result JSON (completed) or null, its failure text (failed, expired, cancelled, removed) or null;
--   keptOutcomes, outcomesDelete: the waiting job's queue and id.
-- Effect: keepOutcome stores (or replaces) one dependency's outcome; outcomesDelete removes every
--   outcome of a job (it is deleted).
-- Returns: keptOutcomes the rows (dep, result, failure) of a job.

-- @name keepOutcome
INSERT INTO job_dep_results (queue, job_id, dep, result, failure) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (queue, job_id, dep) DO UPDATE SET result = excluded.result, failure = excluded.failure;

-- @name keptOutcomes
SELECT dep, result, failure FROM job_dep_results WHERE queue = ? AND job_id = ?;

-- @name outcomesDelete
DELETE FROM job_dep_results WHERE queue = ? AND job_id = ?;
