-- jobs: lookups and deletion shared by every transition.
-- Inputs: queue and job id, or the job's seq (rowid).
-- Effect: jobDelete and its companions remove a job with its logs, dedup key and dependency edges.
-- Returns: full job rows for the getters.

-- @name jobGet
SELECT * FROM jobs WHERE queue = ? AND id = ?;

-- @name jobDelete
DELETE FROM jobs WHERE seq = ?;

-- @name logsDelete
DELETE FROM job_logs WHERE queue = ? AND job_id = ?;

-- @name dedupRelease
-- Inputs: queue, key, job_id. Only while the key still points at this job.
DELETE FROM dedup WHERE queue = ? AND key = ? AND job_id = ?;

-- @name depsDeleteAsChild
-- Inputs: the child's queue and id (its parents may be in any queue).
DELETE FROM job_deps WHERE child_queue = ? AND child_id = ?;

-- @name depsDeleteAsParent
DELETE FROM job_deps WHERE queue = ? AND parent_id = ?;
