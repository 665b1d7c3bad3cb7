-- dedup-key: reads or releases one dedup key (queue.getDeduplicationJobId / removeDeduplicationKey).
-- Inputs: queue, key.
-- Effect: dedupRemove deletes the key; the job that held it stays.
-- Returns: dedupJobId the id of the job the key points at (no row: none); dedupRemove the rows deleted.

-- @name dedupJobId
SELECT job_id FROM dedup WHERE queue = ? AND key = ?;

-- @name dedupRemove
DELETE FROM dedup WHERE queue = ? AND key = ?;
