-- updateData: an admin replaces the data of a job, in any state.
-- Inputs: queue, id, data JSON.
-- Effect: the job's data; nothing else (a running attempt keeps the data it was given).
-- Returns: a row when the job exists.

-- @name updateData
UPDATE {{schema}}.jobs SET data = $3 WHERE queue = $1 AND id = $2 RETURNING seq;
