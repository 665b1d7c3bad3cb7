-- enqueue: inserts new jobs (one call may insert many, inside one transaction).
-- Inputs: the queue name, each job's columns (positional, in the order listed), dedup keys, parent ids.
-- Effect: creates the queue row, inserts jobs, records dedup keys (a duplicate with extend restarts
--   its key's window) and pending parent -> child edges (the parent may be in another queue).
-- Returns: queueCounters the id/FIFO counters the caller advances in memory and stores once.

-- @name queueEnsure
INSERT INTO queues (name) VALUES (?) ON CONFLICT (name) DO NOTHING;

-- @name queueCounters
SELECT last_id, last_seq FROM queues WHERE name = ?;

-- @name queueStoreCounters
-- Inputs: last_id, last_seq, name.
UPDATE queues SET last_id = ?, last_seq = ? WHERE name = ?;

-- @name jobInsert
-- Inputs: the columns of newJobRow (shared/sql-rows.ts) plus SQLite's own fifo and expires_at, by
-- position in this order (tx.ts binds them so: positional binding is the faster one).
INSERT INTO jobs (
  queue, id, task, data, state, priority, fifo, max_retries, created_at, run_at, ttl,
  expires_at, timeout, backoff, depends_on, pending_parents, on_parent_failure,
  remove_on_complete, remove_on_fail, inherit, dedup_key, error, finished_at, trace_context
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- @name dedupGet
-- Returns the job a dedup key points at, with the time it was added, its state and task.
SELECT d.job_id, d.added_at, j.state, j.task
FROM dedup d JOIN jobs j ON j.queue = d.queue AND j.id = d.job_id
WHERE d.queue = ? AND d.key = ?;

-- @name dedupSet
-- Inputs: queue, key, job_id, added_at.
INSERT INTO dedup (queue, key, job_id, added_at) VALUES (?, ?, ?, ?)
ON CONFLICT (queue, key) DO UPDATE SET job_id = excluded.job_id, added_at = excluded.added_at;

-- @name dedupExtend
-- Inputs: added_at, queue, key. A duplicate with extend restarts the key's ttl window.
UPDATE dedup SET added_at = ? WHERE queue = ? AND key = ?;

-- @name depInsert
-- Inputs: the parent's queue, parent_id, the child's queue, child_id (queues differ across queues).
INSERT INTO job_deps (queue, parent_id, child_queue, child_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING;

-- @name markHasDependants
UPDATE jobs SET has_dependants = 1 WHERE seq = ?;
