-- logs: per-job log lines, kept in order, removed with the job.
-- Inputs: queue, job id (and the message for addLog; for getLogs how many lines, -1 = all, and how
-- many to skip).
-- Effect: addLog appends only when the job exists.
-- Returns: getLogs the messages in insertion order.

-- @name addLog
-- Inputs: queue, job_id, message, queue, job_id.
INSERT INTO job_logs (queue, job_id, message)
SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE queue = ? AND id = ?);

-- @name getLogs
SELECT message FROM job_logs WHERE queue = ? AND job_id = ? ORDER BY seq LIMIT ? OFFSET ?;
