-- 002_finished_counts: how many jobs each queue holds in each finished state. The backend keeps it
-- exact (each transaction adds its net change once, at commit). Count retention ("keep the newest
-- N") then deletes only the overflow, oldest first, instead of walking past the N jobs it keeps on
-- every finish; getJobCounts reads finished states here instead of counting a growing history.
-- Adds a table; the backfill counts the jobs already there. Drops nothing.

CREATE TABLE finished_counts (
  queue TEXT NOT NULL,
  state TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (queue, state)
) WITHOUT ROWID;

INSERT INTO finished_counts (queue, state, n)
SELECT queue, state, count(*) FROM jobs
WHERE state IN ('completed', 'failed', 'expired', 'cancelled')
GROUP BY queue, state;
