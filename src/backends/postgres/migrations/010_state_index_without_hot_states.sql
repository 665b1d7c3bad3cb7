-- 010_state_index_without_hot_states: jobs_by_state leaves waiting and active jobs out. An insert
-- then writes three index entries where it wrote four, and a claim (waiting -> active, a new row
-- version) three where it wrote four; the index's write was the widest of them (docs/performance.md).
-- Waiting jobs are listed and counted through jobs_waiting or in seq order from jobs_pkey (the
-- planner picks), active jobs through jobs_leases (partial on state = 'active'; at most the
-- workers' concurrency). Statements that read jobs_by_state say `state NOT IN ('waiting',
-- 'active')`, which is what lets PostgreSQL use a partial index.
-- Replaces an index; drops no data. Rebuilding it reads the table once, under a lock on writes.

DROP INDEX {{schema}}.jobs_by_state;
CREATE INDEX jobs_by_state ON {{schema}}.jobs (queue, state, seq) WHERE state NOT IN ('waiting', 'active');
