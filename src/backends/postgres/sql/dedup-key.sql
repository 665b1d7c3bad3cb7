-- dedup-key: reads or releases one dedup key (queue.getDeduplicationJobId / removeDeduplicationKey).
-- Inputs: queue, key.
-- Effect: dedupRemove deletes the key; the job that held it stays.
-- Returns: dedupJobId the id of the job the key points at (no row: none); dedupRemove the key deleted.

-- @name dedupJobId
SELECT job_id FROM {{schema}}.dedup WHERE queue = $1 AND key = $2;

-- @name dedupRemove
DELETE FROM {{schema}}.dedup WHERE queue = $1 AND key = $2 RETURNING key;
