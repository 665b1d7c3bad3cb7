-- getJobs / getJobCounts: admin reads.
-- Inputs: queue; for the lists, one flag per state ($2..$9 in JOB_STATES order: waiting, delayed,
-- active, completed, failed, expired, cancelled, waiting-children), head ($10: rows needed from each
-- state, NULL = all), limit ($11, NULL = all) and offset ($12).
-- Effect: none.
-- Returns: jobs in creation (seq) order. Each state's branch reads the jobs_by_state index in
-- order and stops after `head` rows, so a page near the top stays cheap however many jobs exist.

-- @name jobsDesc
SELECT * FROM (
  (SELECT * FROM {{schema}}.jobs WHERE $2::boolean AND queue = $1 AND state = 'waiting' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $3::boolean AND queue = $1 AND state = 'delayed' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $4::boolean AND queue = $1 AND state = 'active' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $5::boolean AND queue = $1 AND state = 'completed' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $6::boolean AND queue = $1 AND state = 'failed' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $7::boolean AND queue = $1 AND state = 'expired' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $8::boolean AND queue = $1 AND state = 'cancelled' ORDER BY seq DESC LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $9::boolean AND queue = $1 AND state = 'waiting-children' ORDER BY seq DESC LIMIT $10)
) j ORDER BY seq DESC LIMIT $11 OFFSET $12;

-- @name jobsAsc
SELECT * FROM (
  (SELECT * FROM {{schema}}.jobs WHERE $2::boolean AND queue = $1 AND state = 'waiting' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $3::boolean AND queue = $1 AND state = 'delayed' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $4::boolean AND queue = $1 AND state = 'active' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $5::boolean AND queue = $1 AND state = 'completed' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $6::boolean AND queue = $1 AND state = 'failed' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $7::boolean AND queue = $1 AND state = 'expired' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $8::boolean AND queue = $1 AND state = 'cancelled' ORDER BY seq LIMIT $10)
  UNION ALL
  (SELECT * FROM {{schema}}.jobs WHERE $9::boolean AND queue = $1 AND state = 'waiting-children' ORDER BY seq LIMIT $10)
) j ORDER BY seq LIMIT $11 OFFSET $12;

-- @name countByState
SELECT state, count(*)::integer AS n FROM {{schema}}.jobs WHERE queue = $1 GROUP BY state;
