-- workers: live worker registrations with a heartbeat expiry.
-- Inputs: id, info JSON, expires_at (heartbeatAt + ttl); now for listing and pruning.
-- Effect: upsert on heartbeat, delete on stop, prune registrations long expired.
-- Returns: workerList the live ones.

-- @name workerUpsert
INSERT INTO workers (id, info, expires_at) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at;

-- @name workerDelete
DELETE FROM workers WHERE id = ?;

-- @name workerList
SELECT info FROM workers WHERE expires_at > ? ORDER BY id;

-- @name workerPrune
DELETE FROM workers WHERE expires_at < ?;
