-- 001_initial: the first asyncmq schema.
-- Every later migration only adds (tables, columns, indexes); none drops data.
-- Index notes: the hot paths (claim, promote, recover, expire, retention) each read one partial
-- index whose order is the order they consume, so none of them sorts or scans.

-- Marks the file as an asyncmq database (checked before anything is written on open).
CREATE TABLE asyncmq_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO asyncmq_meta (key, value) VALUES ('app', 'asyncmq');

-- One row per queue: id/FIFO counters, the pause flag, and wake counters other processes watch.
CREATE TABLE queues (
  name TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL DEFAULT 0,
  last_seq INTEGER NOT NULL DEFAULT 0,
  paused INTEGER NOT NULL DEFAULT 0,
  woke_job INTEGER NOT NULL DEFAULT 0,
  woke_delayed INTEGER NOT NULL DEFAULT 0,
  woke_resume INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- seq (the rowid) is the creation order; fifo is the order within `waiting` (renewed on re-entry).
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  task TEXT NOT NULL,
  data TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  fifo INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL,
  stalled_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  run_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  ttl INTEGER,
  expires_at INTEGER,
  timeout INTEGER,
  backoff TEXT,
  progress TEXT,
  result TEXT,
  error TEXT,
  depends_on TEXT,
  pending_parents INTEGER NOT NULL DEFAULT 0,
  has_dependants INTEGER NOT NULL DEFAULT 0,
  on_parent_failure TEXT,
  remove_on_complete TEXT,
  remove_on_fail TEXT,
  remove_at INTEGER,
  inherit TEXT,
  dedup_key TEXT,
  token TEXT,
  worker_id TEXT,
  lease_expires_at INTEGER
);
CREATE UNIQUE INDEX jobs_by_id ON jobs (queue, id);
-- Listing and counting by state, in creation order (the rowid is the implicit last column).
CREATE INDEX jobs_by_state ON jobs (queue, state);
-- claim: next waiting job by priority, then FIFO.
CREATE INDEX jobs_waiting ON jobs (queue, priority, fifo) WHERE state = 'waiting';
-- promoteDelayed: due delayed jobs by runAt.
CREATE INDEX jobs_delayed ON jobs (queue, run_at) WHERE state = 'delayed';
-- recoverStalled: active jobs by lease expiry.
CREATE INDEX jobs_leases ON jobs (queue, lease_expires_at) WHERE state = 'active';
-- expireDue: unstarted jobs by ttl expiry.
CREATE INDEX jobs_ttl ON jobs (queue, expires_at)
  WHERE expires_at IS NOT NULL AND state IN ('waiting', 'delayed', 'waiting-children');
-- removeExpiredFinished / nextRetentionAt.
CREATE INDEX jobs_retention ON jobs (queue, remove_at) WHERE remove_at IS NOT NULL;
-- Count retention ("keep the newest N") and clean of finished jobs.
CREATE INDEX jobs_finished ON jobs (queue, state, finished_at) WHERE finished_at IS NOT NULL;

-- parent -> child edges that are still pending (removed once the child is resolved).
CREATE TABLE job_deps (
  queue TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  child_id TEXT NOT NULL,
  PRIMARY KEY (queue, parent_id, child_id)
) WITHOUT ROWID;
CREATE INDEX job_deps_by_child ON job_deps (queue, child_id);

CREATE TABLE job_logs (
  seq INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  job_id TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX job_logs_by_job ON job_logs (queue, job_id);

CREATE TABLE dedup (
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  job_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (queue, key)
) WITHOUT ROWID;

CREATE TABLE repeatables (
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  def TEXT NOT NULL,
  next_run INTEGER NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, id)
) WITHOUT ROWID;

CREATE TABLE repeat_slots (
  queue TEXT NOT NULL,
  repeat_id TEXT NOT NULL,
  last_slot INTEGER NOT NULL,
  PRIMARY KEY (queue, repeat_id)
) WITHOUT ROWID;

CREATE TABLE rate_buckets (
  queue TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  info TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX workers_by_expiry ON workers (expires_at);

-- Processes that have live `subscribe` listeners; writers add event rows only while one exists.
CREATE TABLE subscribers (
  queue TEXT NOT NULL,
  instance TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, instance)
) WITHOUT ROWID;

-- One row per transition (a JSON array of its events); AUTOINCREMENT so ids never go back
-- after a trim, which readers rely on to resume from their last seen id.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  origin TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  batch TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (created_at);
