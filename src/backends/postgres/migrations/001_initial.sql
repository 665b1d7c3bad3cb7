-- 001_initial: the first asyncmq schema for PostgreSQL.
-- {{schema}} is replaced by the quoted schema name and {{channel}} by the NOTIFY channel (a string
-- literal) when the migration is applied. Later migrations only add; none drops data.
-- Times are epoch milliseconds (bigint) supplied by the caller, so one clock drives a transition.
-- JSON values are text: they round-trip byte for byte and a JSON null stays distinct from SQL NULL.
-- Index notes: claim, promote, recover, expire and retention each read one partial index in the
-- order they consume, so none of them sorts or scans.

-- One row per queue: the generated-id counter and the pause flag.
CREATE TABLE {{schema}}.queues (
  name text PRIMARY KEY,
  last_id bigint NOT NULL DEFAULT 0,
  paused boolean NOT NULL DEFAULT false
);

-- The order within `waiting` (renewed on re-entry). One sequence for every queue: no hot counter row.
CREATE SEQUENCE {{schema}}.fifo_seq;

-- seq is the creation order; fifo the position within waiting.
CREATE TABLE {{schema}}.jobs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  id text NOT NULL,
  task text NOT NULL,
  data text NOT NULL,
  state text NOT NULL,
  priority integer NOT NULL,
  fifo bigint NOT NULL DEFAULT nextval('{{schema}}.fifo_seq'),
  attempts integer NOT NULL DEFAULT 0,
  max_retries integer NOT NULL,
  stalled_count integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  run_at bigint,
  started_at bigint,
  finished_at bigint,
  ttl bigint,
  expires_at bigint,
  timeout bigint,
  backoff text,
  progress text,
  result text,
  error text,
  depends_on text,
  pending_parents integer NOT NULL DEFAULT 0,
  has_dependants boolean NOT NULL DEFAULT false,
  on_parent_failure text,
  remove_on_complete text,
  remove_on_fail text,
  remove_at bigint,
  inherit text,
  dedup_key text,
  token text,
  worker_id text,
  lease_expires_at bigint
);
CREATE UNIQUE INDEX jobs_by_id ON {{schema}}.jobs (queue, id);
-- Listing and counting by state, in creation order.
CREATE INDEX jobs_by_state ON {{schema}}.jobs (queue, state, seq);
-- claim: next waiting job by priority, then FIFO.
CREATE INDEX jobs_waiting ON {{schema}}.jobs (queue, priority, fifo) WHERE state = 'waiting';
-- promoteDelayed: due delayed jobs by runAt.
CREATE INDEX jobs_delayed ON {{schema}}.jobs (queue, run_at) WHERE state = 'delayed';
-- recoverStalled: active jobs by lease expiry.
CREATE INDEX jobs_leases ON {{schema}}.jobs (queue, lease_expires_at) WHERE state = 'active';
-- expireDue: unstarted jobs by ttl expiry.
CREATE INDEX jobs_ttl ON {{schema}}.jobs (queue, expires_at)
  WHERE expires_at IS NOT NULL AND state IN ('waiting', 'delayed', 'waiting-children');
-- removeExpiredFinished.
CREATE INDEX jobs_retention ON {{schema}}.jobs (queue, remove_at) WHERE remove_at IS NOT NULL;
-- Count retention ("keep the newest N") and clean of finished jobs, per state.
CREATE INDEX jobs_finished ON {{schema}}.jobs (queue, state, finished_at, seq) WHERE finished_at IS NOT NULL;

-- parent -> child edges still pending (removed once the child is resolved).
CREATE TABLE {{schema}}.job_deps (
  queue text NOT NULL,
  parent_id text NOT NULL,
  child_id text NOT NULL,
  PRIMARY KEY (queue, parent_id, child_id)
);
CREATE INDEX job_deps_by_child ON {{schema}}.job_deps (queue, child_id);

CREATE TABLE {{schema}}.job_logs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  job_id text NOT NULL,
  message text NOT NULL
);
CREATE INDEX job_logs_by_job ON {{schema}}.job_logs (queue, job_id, seq);

CREATE TABLE {{schema}}.dedup (
  queue text NOT NULL,
  key text NOT NULL,
  job_id text NOT NULL,
  added_at bigint NOT NULL,
  PRIMARY KEY (queue, key)
);

CREATE TABLE {{schema}}.repeatables (
  queue text NOT NULL,
  id text NOT NULL,
  def text NOT NULL,
  next_run bigint NOT NULL,
  paused boolean NOT NULL DEFAULT false,
  PRIMARY KEY (queue, id)
);

CREATE TABLE {{schema}}.repeat_slots (
  queue text NOT NULL,
  repeat_id text NOT NULL,
  last_slot bigint NOT NULL,
  PRIMARY KEY (queue, repeat_id)
);

-- tokens after the last take; available: the tokens the last take found (>= 1 means it got one).
CREATE TABLE {{schema}}.rate_buckets (
  queue text PRIMARY KEY,
  tokens double precision NOT NULL,
  updated_at bigint NOT NULL,
  available double precision NOT NULL
);

CREATE TABLE {{schema}}.workers (
  id text PRIMARY KEY,
  info text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX workers_by_expiry ON {{schema}}.workers (expires_at);

-- Backends with live `subscribe` listeners; transitions publish events only while another one exists.
-- Expiry uses the database clock: it is connection bookkeeping, not job time.
CREATE TABLE {{schema}}.subscribers (
  queue text NOT NULL,
  instance text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (queue, instance)
);

-- Event batches too large for a NOTIFY payload (8000 bytes); the notification carries the id.
CREATE TABLE {{schema}}.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  batch text NOT NULL
);
CREATE INDEX events_by_time ON {{schema}}.events (created_at);

-- publish: called inside each transition's transaction, so its NOTIFY is sent on commit or never.
-- Inputs: queue, origin (the backend instance that made the change), wake reasons (may be empty),
-- events (a JSON array as text, or NULL).
-- Effect: one pg_notify on the schema's channel with {"o","q","w"} plus the events, inline ("e")
-- when small, else stored in `events` and referenced ("id"). Events are sent only while a backend
-- other than the origin subscribes to the queue; nothing is sent when there is nothing to say.
CREATE FUNCTION {{schema}}.publish(p_queue text, p_origin text, p_wakes text[], p_events text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  body text;
  event_id bigint;
  send_events boolean := p_events IS NOT NULL AND EXISTS (
    SELECT 1 FROM {{schema}}.subscribers s
    WHERE s.queue = p_queue AND s.instance <> p_origin AND s.expires_at > now());
BEGIN
  IF NOT send_events AND coalesce(cardinality(p_wakes), 0) = 0 THEN
    RETURN;
  END IF;
  body := json_build_object('o', p_origin, 'q', p_queue, 'w', coalesce(p_wakes, '{}'::text[]))::text;
  IF send_events THEN
    IF octet_length(body) + octet_length(p_events) < 7900 THEN
      body := left(body, -1) || ',"e":' || p_events || '}';
    ELSE
      INSERT INTO {{schema}}.events (batch) VALUES (p_events) RETURNING id INTO event_id;
      body := left(body, -1) || ',"id":' || event_id || '}';
    END IF;
  END IF;
  PERFORM pg_notify({{channel}}, body);
END
$fn$;
