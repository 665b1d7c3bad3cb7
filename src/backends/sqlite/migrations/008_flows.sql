-- 008_flows: dependencies across queues, and what a waiting job keeps of its dependencies.
-- job_deps gains the child's queue (the parent's stays in `queue`, so a finishing parent still
-- finds its edges by the primary key); the child-side index moves to (child_queue, child_id).
-- job_dep_results holds, per waiting job, the result or failure of each dependency that settled
-- it, so they outlive the dependency (removeOnComplete). Adds only; drops no data.

ALTER TABLE job_deps ADD COLUMN child_queue TEXT;
UPDATE job_deps SET child_queue = queue;
DROP INDEX job_deps_by_child;
CREATE INDEX job_deps_by_child ON job_deps (child_queue, child_id);

-- One row per (waiting job, dependency "<queue>:<id>"): `result` JSON when it completed, else `failure`.
CREATE TABLE job_dep_results (
  queue TEXT NOT NULL,
  job_id TEXT NOT NULL,
  dep TEXT NOT NULL,
  result TEXT,
  failure TEXT,
  PRIMARY KEY (queue, job_id, dep)
) WITHOUT ROWID;
