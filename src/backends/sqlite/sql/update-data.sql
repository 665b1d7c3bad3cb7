-- updateData: an admin replaces the data of a job, in any state.
-- Inputs: data JSON, queue, id.
-- Effect: the job's data; nothing else (a running attempt keeps the data it was given).
-- Returns: changes = 0 when the job is missing.

-- @name updateData
UPDATE jobs SET data = ? WHERE queue = ? AND id = ?;
