-- queues: the pause flag, the global concurrency and the queue list.
-- Inputs: queue name (and the flag or the limit).
-- Effect: setPaused stores the flag, setGlobalConcurrency the limit (NULL: none); the queue row is
-- created by queueEnsure first.
-- Returns: the flag; the flag and the limit (claim reads both in one lookup); the queues that hold
-- jobs, repeatables or a pause flag, by name.

-- @name isPaused
SELECT paused FROM queues WHERE name = ?;

-- @name queueFlags
SELECT paused, global_concurrency FROM queues WHERE name = ?;

-- @name setPaused
UPDATE queues SET paused = ? WHERE name = ?;

-- @name setGlobalConcurrency
UPDATE queues SET global_concurrency = ? WHERE name = ?;

-- @name listQueues
SELECT name FROM queues q
WHERE paused = 1
   OR EXISTS (SELECT 1 FROM jobs j WHERE j.queue = q.name)
   OR EXISTS (SELECT 1 FROM repeatables r WHERE r.queue = q.name)
ORDER BY name;
