-- workers: live worker registrations with a heartbeat expiry.
-- Inputs: id, info JSON, expires_at (heartbeatAt + ttl), prune-before; now for listing.
-- Effect: upsert on heartbeat (pruning registrations long expired), delete on stop.
-- Returns: workerList the live ones.

-- @name workerUpsert
WITH pruned AS (DELETE FROM {{schema}}.workers WHERE expires_at < $4 AND id <> $1)
INSERT INTO {{schema}}.workers (id, info, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at;

-- @name workerDelete
DELETE FROM {{schema}}.workers WHERE id = $1;

-- @name workerList
SELECT info FROM {{schema}}.workers WHERE expires_at > $1 ORDER BY id;
