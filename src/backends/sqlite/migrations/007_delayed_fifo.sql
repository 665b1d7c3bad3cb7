-- 007_delayed_fifo: delayed jobs due at the same runAt are promoted in the order they became
-- delayed (their fifo, renewed on entry; a lifo job's is negative, hence abs), so promoteDelayed
-- reads the index in (run_at, abs(fifo)) order and never sorts a due set. Replaces an index; drops no data.

DROP INDEX jobs_delayed;
CREATE INDEX jobs_delayed ON jobs (queue, run_at, abs(fifo)) WHERE state = 'delayed';
