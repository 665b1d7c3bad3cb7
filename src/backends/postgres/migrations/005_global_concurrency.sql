-- 005_global_concurrency: a queue's global concurrency (queue.setGlobalConcurrency), beside its
-- pause flag: claim never lets more than this many of the queue's jobs be active. NULL: no limit.
-- Adds a nullable column (no table rewrite) and the function a gated claim calls. Drops nothing.

ALTER TABLE {{schema}}.queues ADD COLUMN global_concurrency integer;

-- claim_room: how many jobs a claim of `p_queue` for `p_limit` may take now (see sql/claim.sql).
-- Inputs: queue, the claim's limit.
-- Effect: takes the queue's claim lock, a transaction-scoped advisory lock (released when the
-- calling claim commits), so the claims of a limited queue take turns.
-- Returns: p_limit without a global concurrency, else the room left under it (>= 0), counted after
-- the lock was granted: VOLATILE, each query here takes a fresh snapshot under Read Committed, so
-- the count sees every claim committed while this one waited.
CREATE FUNCTION {{schema}}.claim_room(p_queue text, p_limit bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  cap integer;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('asyncmq claim {{schema}}.' || p_queue, 0));
  SELECT global_concurrency INTO cap FROM {{schema}}.queues WHERE name = p_queue;
  IF cap IS NULL THEN
    RETURN p_limit;
  END IF;
  RETURN greatest(0, least(p_limit, cap - (
    SELECT count(*) FROM {{schema}}.jobs WHERE queue = p_queue AND state = 'active')));
END
$fn$;
