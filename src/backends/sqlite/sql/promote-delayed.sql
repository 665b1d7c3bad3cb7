-- promoteDelayed / promoteJobs: delayed jobs become waiting, in runAt order (equal runAts in the
-- order they became delayed: their fifo, negative for a lifo job). promoteDelayed takes those due (until = now), promoteJobs
-- any (until = the largest time).
-- Inputs: queue, until, limit (dueDelayed); fifo, now, seq (promote); queue (nextDelayed).
-- Effect: delayed -> waiting at the FIFO tail (a lifo job, negative fifo, at the head: the new fifo
--   keeps the sign); a job promoted before its runAt gets runAt = now.
-- Returns: the rows to promote; nextDelayed the earliest remaining runAt.

-- @name dueDelayed
SELECT seq, id, task FROM jobs WHERE queue = ? AND state = 'delayed' AND run_at <= ? ORDER BY run_at, abs(fifo) LIMIT ?;

-- @name promote
UPDATE jobs SET state = 'waiting', fifo = (CASE WHEN fifo < 0 THEN -1 ELSE 1 END) * ?, run_at = min(run_at, ?) WHERE seq = ?;

-- @name nextDelayed
SELECT run_at FROM jobs WHERE queue = ? AND state = 'delayed' ORDER BY run_at LIMIT 1;
