-- promoteDelayed: due delayed jobs become waiting, in runAt order (equal runAts in the order they
-- became delayed: their fifo).
-- Inputs: queue, now, limit (dueDelayed); fifo, seq (promote); queue (nextDelayed).
-- Effect: delayed -> waiting at the FIFO tail.
-- Returns: the due rows; nextDelayed the earliest remaining runAt.

-- @name dueDelayed
SELECT seq, id, task FROM jobs WHERE queue = ? AND state = 'delayed' AND run_at <= ? ORDER BY run_at, fifo LIMIT ?;

-- @name promote
UPDATE jobs SET state = 'waiting', fifo = ? WHERE seq = ?;

-- @name nextDelayed
SELECT run_at FROM jobs WHERE queue = ? AND state = 'delayed' ORDER BY run_at LIMIT 1;
