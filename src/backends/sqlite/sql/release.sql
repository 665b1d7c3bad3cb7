-- release: a stopping worker hands an unfinished job back (fenced by its lease token).
-- Inputs: fifo (the queue's next FIFO number), queue, id, token.
-- Effect: active -> waiting at the FIFO tail, attempts - 1 (the attempt does not count), lease cleared.
-- Returns: seq; no row = fenced out.

-- @name release
UPDATE jobs
SET state = 'waiting', attempts = attempts - 1, fifo = ?, token = NULL, worker_id = NULL, lease_expires_at = NULL
WHERE queue = ? AND id = ? AND state = 'active' AND token = ?
RETURNING seq;
