-- notify: cross-process wake-ups and events (see publish() in migrations/001_initial.sql).
-- Subscriber rows tell writers that another backend wants this queue's events; they expire by the
-- database clock unless renewed.

-- @name publish
-- Inputs: queue, origin, wake reasons, events JSON (or NULL). Used by transactions built in code.
SELECT {{schema}}.publish($1, $2, $3::text[], $4);

-- @name subscriberUpsert
-- Inputs: queue[], instance, ttl seconds.
INSERT INTO {{schema}}.subscribers (queue, instance, expires_at)
SELECT q, $2, now() + make_interval(secs => $3) FROM unnest($1::text[]) AS q
ON CONFLICT (queue, instance) DO UPDATE SET expires_at = excluded.expires_at;

-- @name subscriberDelete
-- Inputs: queue[], instance.
DELETE FROM {{schema}}.subscribers WHERE queue = ANY($1::text[]) AND instance = $2;

-- @name housekeeping
-- Inputs: how long to keep event batches (seconds). Drops expired subscribers and old batches.
WITH subs AS (DELETE FROM {{schema}}.subscribers WHERE expires_at < now())
DELETE FROM {{schema}}.events WHERE created_at < now() - make_interval(secs => $1);

-- @name eventGet
SELECT batch FROM {{schema}}.events WHERE id = $1;
