-- 011_state_index_without_active: jobs_by_state leaves active jobs out. A claim then only deletes
-- the job's waiting entry and a finish only inserts its new state's, where each wrote two entries
-- (out of waiting into active, out of active into the next state): a claim and a finish cost ~23%
-- less (docs/performance.md). Active jobs are listed and counted through jobs_leases (partial on
-- state = 'active'), and are few: at most the workers' concurrency. Statements that read
-- jobs_by_state say `state <> 'active'`, which is what lets SQLite use a partial index.
-- Replaces an index; drops no data.

DROP INDEX jobs_by_state;
CREATE INDEX jobs_by_state ON jobs (queue, state) WHERE state <> 'active';
