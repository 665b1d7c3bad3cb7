-- extendLeases / updateProgress: a worker's writes while it runs jobs (fenced by lease tokens).

-- @name extendLeases
-- Inputs: queue, lease_expires_at, job id[], token[].
-- Effect: renews every lease still held, in one statement.
-- Returns: the ids renewed (the caller reports the others as lost).
-- The fence is the token alone (set exactly while active), which keeps the lookup on (queue, id).
UPDATE {{schema}}.jobs j SET lease_expires_at = $2
FROM unnest($3::text[], $4::text[]) AS l(id, token)
WHERE j.queue = $1 AND j.id = l.id AND j.token = l.token
RETURNING j.id;

-- @name progress
-- Inputs: queue, id, token, progress JSON, origin.
-- Effect: stores progress while the token holds; publishes job:progress.
-- Returns: the task; no row = fenced out.
-- The fence is the token alone, as above: with `state` in, a generic plan could pick jobs_leases and
-- scan every active job of the queue.
WITH u AS (
  UPDATE {{schema}}.jobs SET progress = $4
  WHERE queue = $1 AND id = $2 AND token = $3
  RETURNING id, task
),
pub AS (
  SELECT {{schema}}.publish($1, $5, NULL, json_build_array(json_build_object('name', 'job:progress',
    'payload', json_build_object('queue', $1, 'jobId', id, 'task', task, 'progress', $4::json)))::text)
  FROM u
)
SELECT task, (SELECT count(*) FROM pub) AS published FROM u;
