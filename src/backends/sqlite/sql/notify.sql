-- notify: cross-process wake-ups and events.
-- Wake counters live on the queue row: a transition that makes work available bumps one; other
-- processes notice a commit (PRAGMA data_version) and compare the counters they last saw.
-- Events are written (one row per transition, a JSON array) only while another process has a
-- live subscriber for the queue; readers resume from the last id they saw.

-- @name wakeBump
-- Inputs: what to add to the job, delayed and resume counters (1 or 0), queue.
UPDATE queues SET woke_job = woke_job + ?, woke_delayed = woke_delayed + ?, woke_resume = woke_resume + ?
WHERE name = ?
RETURNING woke_job AS job, woke_delayed AS delayed, woke_resume AS resume;

-- @name wakeCounters
SELECT woke_job AS job, woke_delayed AS delayed, woke_resume AS resume FROM queues WHERE name = ?;

-- @name remoteSubscriber
-- Inputs: queue, this instance, now. Is another process listening to this queue's events?
SELECT 1 FROM subscribers WHERE queue = ? AND instance <> ? AND expires_at > ? LIMIT 1;

-- @name subscriberUpsert
-- Inputs: queue, instance, expires_at.
INSERT INTO subscribers (queue, instance, expires_at) VALUES (?, ?, ?)
ON CONFLICT (queue, instance) DO UPDATE SET expires_at = excluded.expires_at;

-- @name subscriberDelete
DELETE FROM subscribers WHERE queue = ? AND instance = ?;

-- @name subscriberPrune
DELETE FROM subscribers WHERE expires_at < ?;

-- @name eventInsert
-- Inputs: queue, origin (instance id), created_at, batch JSON.
INSERT INTO events (queue, origin, created_at, batch) VALUES (?, ?, ?, ?);

-- @name eventsAfter
-- Inputs: last id seen, this instance. Other processes' events, in commit order.
SELECT id, queue, batch FROM events WHERE id > ? AND origin <> ? ORDER BY id;

-- @name eventsLastId
SELECT coalesce(max(id), 0) AS n FROM events;

-- @name eventsTrim
DELETE FROM events WHERE created_at < ?;

-- @name dataVersion
PRAGMA data_version;
