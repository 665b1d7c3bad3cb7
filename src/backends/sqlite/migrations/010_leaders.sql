-- 010_leaders: leader leases (backend.leaders), one row per scope (the runtime's scope is a queue
-- name): who holds it and until when. Adds a table only.

CREATE TABLE leaders (
  scope TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
