-- 009_leaders: leader leases (backend.leaders), one row per scope (the runtime's scope is a queue
-- name): who holds it and until when (epoch ms). Adds a table only.

CREATE TABLE {{schema}}.leaders (
  scope text PRIMARY KEY,
  holder text NOT NULL,
  expires_at bigint NOT NULL
);
