-- 007_flows: dependencies across queues, and what a waiting job keeps of its dependencies.
-- job_deps gains the child's queue (the parent's stays in `queue`, so a finishing parent still
-- finds its edges by the primary key); the child-side index moves to (child_queue, child_id).
-- job_dep_results holds, per waiting job, the result or failure of each dependency that settled
-- it, so they outlive the dependency (removeOnComplete). Adds only; drops no data.

ALTER TABLE {{schema}}.job_deps ADD COLUMN child_queue text;
UPDATE {{schema}}.job_deps SET child_queue = queue;
ALTER TABLE {{schema}}.job_deps ALTER COLUMN child_queue SET NOT NULL;
DROP INDEX {{schema}}.job_deps_by_child;
CREATE INDEX job_deps_by_child ON {{schema}}.job_deps (child_queue, child_id);

-- One row per (waiting job, dependency "<queue>:<id>"): `result` JSON when it completed, else `failure`.
CREATE TABLE {{schema}}.job_dep_results (
  queue text NOT NULL,
  job_id text NOT NULL,
  dep text NOT NULL,
  result text,
  failure text,
  PRIMARY KEY (queue, job_id, dep)
);
