-- getJobs / getJobCounts: admin reads.
-- Inputs: queue; one 0/1 flag per state (@waiting, @delayed, ... @waiting_children) choosing the
-- states to list; @head = offset + limit (-1 = all); limit (-1 = all), offset.
-- Effect: none.
-- Returns: job rows in creation order (seq), newest (jobsDesc) or oldest (jobsAsc) first; counts
-- per state.
-- Each chosen state reads at most @head rows from jobs_by_state in seq order; only those are
-- merged and sorted, so a page near the start stays cheap however many jobs a queue holds.

-- @name jobsDesc
SELECT * FROM (
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'waiting' AND @waiting ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'delayed' AND @delayed ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'active' AND @active ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'completed' AND @completed ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'failed' AND @failed ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'expired' AND @expired ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'cancelled' AND @cancelled ORDER BY seq DESC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'waiting-children' AND @waiting_children ORDER BY seq DESC LIMIT @head)
) ORDER BY seq DESC LIMIT @limit OFFSET @offset;

-- @name jobsAsc
SELECT * FROM (
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'waiting' AND @waiting ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'delayed' AND @delayed ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'active' AND @active ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'completed' AND @completed ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'failed' AND @failed ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'expired' AND @expired ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'cancelled' AND @cancelled ORDER BY seq ASC LIMIT @head)
  UNION ALL
  SELECT * FROM (SELECT * FROM jobs WHERE queue = @queue AND state = 'waiting-children' AND @waiting_children ORDER BY seq ASC LIMIT @head)
) ORDER BY seq ASC LIMIT @limit OFFSET @offset;

-- @name countUnfinished
-- Unfinished states are counted from the index (bounded by the backlog)...
SELECT state, count(*) AS n FROM jobs
WHERE queue = ? AND state IN ('waiting', 'delayed', 'active', 'waiting-children')
GROUP BY state;

-- @name countFinished
-- ...finished ones, a growing history, from the counts kept by every transition.
SELECT state, n FROM finished_counts WHERE queue = ?;
