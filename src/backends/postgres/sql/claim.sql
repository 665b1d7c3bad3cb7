-- claim: hands waiting jobs to a worker in ONE statement.
-- Inputs: $1 queue, $2 limit, $3 now, $4 worker id, $5 lease_expires_at, $6 origin, $7 job id (NULL:
-- any job; else that job only), $8 stall_peers (the worker's concurrency, see chargeStall), $9 gated
-- (false on the fast path; true for a queue with a global concurrency, see below), $10 token base
-- (random per call: a claimed job's token is the base followed by its seq).
-- Effect: unless the queue is paused, takes up to `limit` waiting jobs by (priority, fifo) from the
-- jobs_waiting partial index (or the one job `$7` through jobs_by_id), skipping rows another claimer
-- holds (FOR UPDATE SKIP LOCKED); each becomes active with attempts + 1, a fresh token ($10 and its
-- seq) and a lease; job:started is published.
-- Jobs whose ttl passed are locked but left alone: the caller expires them and claims again.
-- Returns: one row per claimed job (priority, fifo order) with `expired` (seqs of ttl-expired
-- candidates) on every row; a single row of NULL job columns when nothing was claimed. `limited`
-- (whether the queue has a global concurrency) is set when nothing was claimed or $9 is true. The
-- job columns are those of its record but what the claim set from its inputs (queue, state,
-- started_at, worker_id, lease_expires_at, and the token: $10 and the seq), which the caller adds:
-- a claimed row's text is parsed column by column in Node, ~12% of its profile (docs/performance.md).
--
-- The global concurrency. Under Read Committed a statement reads one snapshot, taken when it starts:
-- a count of active jobs in the claim itself, even after waiting for a lock, cannot see a claim
-- that committed meanwhile, so two claimers could both see room and together pass the limit. The
-- gated claim ($9) therefore takes its room from claim_room() (migration 004): a VOLATILE function,
-- whose queries take fresh snapshots, that first takes the queue's claim lock (an advisory lock held
-- until this statement commits), then counts. The claims of a limited queue take turns, each
-- counting every claim committed before it; still one round trip each. (The rows a gated claim
-- then locks were read under its older snapshot: a job another claim took meanwhile is rechecked
-- by FOR UPDATE, no longer waiting, and passed over.) The lock is advisory, not the queues row, so
-- that enqueues (which bump the row's id counter) never wait for claims. An exact counter of active
-- jobs was the other choice; it would put a write to one hot row into every claim and finish of
-- every queue. The fast path ($9 false), which every claim of a queue without a limit takes, is
-- what it was: the one-time gate that refuses a paused queue also refuses a limited one (the caller
-- then claims gated), and nothing else runs on it: no lock, no count.

--
-- Its commit does not wait for the WAL flush (synchronous_commit off for this transaction only, by
-- set_config(..., true) in the statement): a claim lost in a crash of the database server puts its
-- jobs back to waiting, as if never claimed, and the worker's later finish is fenced out by the
-- token, so no job is lost, and one may run again (at least once, as after any crash). Every later
-- flushed commit (a finish, an enqueue) flushes it too. It saves one of the two WAL flushes of every
-- claim-and-finish round, the largest cost of a busy worker (docs/performance.md).

-- @name claim
-- Two branches, each on its own index, so that every plan (custom or generic) of this prepared
-- statement keeps the hot claim an ordered scan of jobs_waiting: by_order is cut to LIMIT 0 (never
-- executed) when a job id is given, and by_id is cut off by a one-time filter for a NULL id. by_id
-- finds the row by (queue, id) in a subquery with no state condition, which keeps it off
-- jobs_waiting: a generic plan made while the statistics were stale read it from there, scanning
-- every waiting job of the queue on every claim. The UPDATE finds the taken rows by an array of
-- their seqs (the primary key): joined to `cand` instead, a generic plan (which cannot see the limit)
-- over a table with statistics that is mostly one queue's backlog hash-joined them to a sequential
-- scan of every job (23 ms a claim of 256 over 100,000 jobs, against 3.6).
WITH by_order AS (
  SELECT seq, expires_at FROM {{schema}}.jobs
  WHERE queue = $1 AND state = 'waiting'
    AND NOT EXISTS (SELECT 1 FROM {{schema}}.queues WHERE name = $1
                    AND (paused OR (global_concurrency IS NOT NULL AND NOT $9)))
  ORDER BY priority, fifo
  LIMIT CASE WHEN $7::text IS NOT NULL THEN 0 WHEN $9 THEN {{schema}}.claim_room($1, $2) ELSE $2 END
  FOR UPDATE SKIP LOCKED
),
by_id AS (
  SELECT seq, expires_at FROM {{schema}}.jobs
  WHERE $7::text IS NOT NULL AND state = 'waiting'
    AND seq = (SELECT seq FROM {{schema}}.jobs WHERE queue = $1 AND id = $7)
    AND NOT EXISTS (SELECT 1 FROM {{schema}}.queues WHERE name = $1
                    AND (paused OR (global_concurrency IS NOT NULL AND NOT $9)))
    AND (NOT $9 OR {{schema}}.claim_room($1, 1) > 0)
  FOR UPDATE SKIP LOCKED
),
cand AS (SELECT * FROM by_order UNION ALL SELECT * FROM by_id),
claimed AS (
  UPDATE {{schema}}.jobs j
  SET state = 'active', attempts = j.attempts + 1, started_at = $3, token = $10::text || j.seq,
      worker_id = $4, lease_expires_at = $5, stall_peers = $8
  WHERE j.seq = ANY (ARRAY(SELECT seq FROM cand WHERE expires_at IS NULL OR expires_at > $3))
  RETURNING j.seq, j.id, j.task, j.data, j.priority, j.fifo, j.attempts, j.max_retries, j.stalled_count,
    j.stall_charge, j.created_at, j.run_at, j.finished_at, j.ttl, j.timeout, j.backoff, j.progress, j.result,
    j.error, j.depends_on, j.on_parent_failure, j.remove_on_complete, j.remove_on_fail, j.inherit,
    j.trace_context
),
remote AS (
  -- Event payloads are built only while another backend subscribes to this queue.
  SELECT EXISTS (SELECT 1 FROM {{schema}}.subscribers
                 WHERE queue = $1 AND instance <> $6 AND expires_at > now()) AS yes
),
pub AS (
  SELECT {{schema}}.publish($1, $6, NULL, (json_agg(json_build_object('name', 'job:started', 'payload',
    json_build_object('queue', $1, 'jobId', id, 'task', task, 'attempts', attempts, 'workerId', $4))
    ORDER BY priority, fifo) FILTER (WHERE (SELECT yes FROM remote)))::text)
  FROM claimed HAVING count(*) > 0 AND (SELECT yes FROM remote)
)
SELECT x.expired, x.published, x.limited, c.*
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed,
     (SELECT (SELECT array_agg(seq) FROM cand WHERE expires_at <= $3) AS expired,
             (SELECT count(*) FROM pub) AS published,
             CASE WHEN $9 OR NOT EXISTS (SELECT 1 FROM claimed) THEN EXISTS (SELECT 1 FROM {{schema}}.queues
               WHERE name = $1 AND global_concurrency IS NOT NULL) END AS limited) x
LEFT JOIN claimed c ON true
ORDER BY c.priority, c.fifo;
