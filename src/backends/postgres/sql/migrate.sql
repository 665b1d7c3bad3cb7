-- migrate: applies the numbered files in ../migrations once per database, under a lock.
-- Inputs: lock: the lock key (derived from the schema name).
-- Effect: serialises concurrent starters (pg_advisory_xact_lock, released at commit), creates the
-- schema and its `migrations` table when absent, and records each applied version.
-- Returns: applied: the versions already applied.

-- @name lock
SELECT pg_advisory_xact_lock($1::bigint);

-- @name ensureSchema
CREATE SCHEMA IF NOT EXISTS {{schema}};

-- @name ensureTable
CREATE TABLE IF NOT EXISTS {{schema}}.migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- @name applied
SELECT coalesce(max(version), 0) AS version FROM {{schema}}.migrations;

-- @name record
-- Inputs: version, name.
INSERT INTO {{schema}}.migrations (version, name) VALUES ($1, $2);
