-- getJobs / getJobCounts: admin reads.
-- Inputs: queue; for the lists, the states ($2), head ($3: rows needed from each state, NULL = all),
-- limit ($4, NULL = all) and offset ($5).
-- Effect: none.
-- Returns: jobs in creation (seq) order. Each state's subquery reads in seq order and stops after
-- `head` rows, so a page near the top stays cheap however many jobs exist: the states other than
-- waiting and active from jobs_by_state (partial: the clause `state NOT IN (...)` lets the planner
-- use it), waiting jobs from jobs_pkey or jobs_waiting (the planner picks by the queue's numbers),
-- active ones (at most the workers' concurrency) from jobs_leases.

-- @name jobsDesc
SELECT j.* FROM (
  SELECT s.* FROM unnest($2::text[]) AS u(state)
  CROSS JOIN LATERAL (
    SELECT * FROM {{schema}}.jobs
    WHERE queue = $1 AND state = u.state AND state NOT IN ('waiting', 'active')
    ORDER BY seq DESC LIMIT $3
  ) s
  UNION ALL
  (SELECT * FROM {{schema}}.jobs
   WHERE 'waiting' = ANY($2::text[]) AND queue = $1 AND state = 'waiting' ORDER BY seq DESC LIMIT $3)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs
   WHERE 'active' = ANY($2::text[]) AND queue = $1 AND state = 'active' ORDER BY seq DESC LIMIT $3)
) j
ORDER BY j.seq DESC LIMIT $4 OFFSET $5;

-- @name jobsAsc
SELECT j.* FROM (
  SELECT s.* FROM unnest($2::text[]) AS u(state)
  CROSS JOIN LATERAL (
    SELECT * FROM {{schema}}.jobs
    WHERE queue = $1 AND state = u.state AND state NOT IN ('waiting', 'active')
    ORDER BY seq LIMIT $3
  ) s
  UNION ALL
  (SELECT * FROM {{schema}}.jobs
   WHERE 'waiting' = ANY($2::text[]) AND queue = $1 AND state = 'waiting' ORDER BY seq LIMIT $3)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs
   WHERE 'active' = ANY($2::text[]) AND queue = $1 AND state = 'active' ORDER BY seq LIMIT $3)
) j
ORDER BY j.seq LIMIT $4 OFFSET $5;

-- @name countByState
SELECT state, count(*)::integer AS n FROM {{schema}}.jobs
WHERE queue = $1 AND state NOT IN ('waiting', 'active') GROUP BY state
UNION ALL
SELECT 'waiting', count(*)::integer FROM {{schema}}.jobs WHERE queue = $1 AND state = 'waiting'
UNION ALL
SELECT 'active', count(*)::integer FROM {{schema}}.jobs WHERE queue = $1 AND state = 'active';
