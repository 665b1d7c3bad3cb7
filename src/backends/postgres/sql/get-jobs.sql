-- getJobs / getJobCounts: admin reads.
-- Inputs: queue; for the lists, the states ($2), head ($3: rows needed from each state, NULL = all),
-- limit ($4, NULL = all) and offset ($5).
-- Effect: none.
-- Returns: jobs in creation (seq) order. Each state's subquery reads the jobs_by_state index in
-- order and stops after `head` rows, so a page near the top stays cheap however many jobs exist.

-- @name jobsDesc
SELECT j.* FROM unnest($2::text[]) AS s(state)
CROSS JOIN LATERAL (
  SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND state = s.state ORDER BY seq DESC LIMIT $3
) j
ORDER BY j.seq DESC LIMIT $4 OFFSET $5;

-- @name jobsAsc
SELECT j.* FROM unnest($2::text[]) AS s(state)
CROSS JOIN LATERAL (
  SELECT * FROM {{schema}}.jobs WHERE queue = $1 AND state = s.state ORDER BY seq LIMIT $3
) j
ORDER BY j.seq LIMIT $4 OFFSET $5;

-- @name countByState
SELECT state, count(*)::integer AS n FROM {{schema}}.jobs WHERE queue = $1 GROUP BY state;
