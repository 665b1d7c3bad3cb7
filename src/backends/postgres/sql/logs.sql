-- logs: per-job log lines, kept in order, removed with the job.
-- Inputs: queue, job id (and the message for addLog; for getLogs how many lines, NULL = all, and
-- how many to skip).
-- Effect: addLog appends only when the job exists.
-- Returns: getLogs the messages in insertion order.

-- @name addLog
INSERT INTO {{schema}}.job_logs (queue, job_id, message)
SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM {{schema}}.jobs WHERE queue = $1 AND id = $2);

-- @name getLogs
SELECT message FROM {{schema}}.job_logs WHERE queue = $1 AND job_id = $2 ORDER BY seq LIMIT $3 OFFSET $4;
