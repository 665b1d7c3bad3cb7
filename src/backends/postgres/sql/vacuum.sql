-- vacuum: keeps the dead row versions of the jobs table few (see vacuum.ts for why and when).

-- @name deadRows
-- Inputs: $1 schema. Returns: the jobs table's dead and live row counts as the statistics
-- collector last saw them (0 and 0 before its first report).
SELECT coalesce(n_dead_tup, 0)::bigint AS dead, coalesce(n_live_tup, 0)::bigint AS live
FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs';

-- @name vacuumJobs
-- Effect: removes the jobs table's dead row versions and their index entries; skipped when another
-- VACUUM (autovacuum's) holds the table. Cannot run in a transaction block: sent unnamed, alone.
VACUUM (SKIP_LOCKED) {{schema}}.jobs;
