-- getJobs / getJobCounts: admin reads.
-- Inputs: @queue; @states a JSON array of the states to list (each once); @head = offset + limit
-- (-1 = all); @limit (-1 = all), @offset.
-- Effect: none.
-- Returns: job rows in creation order (seq), newest (jobsDesc) or oldest (jobsAsc) first; the
-- queue's active jobs (activeJobs, unordered); counts per state.
-- Each chosen state but active reads at most @head seqs from jobs_by_state in seq order; only those
-- rows are fetched, merged and sorted, so a page near the start stays cheap however many jobs a
-- queue holds. jobs_by_state leaves active jobs out (migration 011): the caller lists them with
-- activeJobs (jobs_leases; at most the workers' concurrency) and merges. CROSS JOIN keeps the
-- states the outer loop (SQLite never reorders it): with ANALYZE statistics of a table that is
-- mostly one queue, the planner otherwise scanned every job and ran the subquery for each.

-- @name jobsDesc
SELECT j.* FROM json_each(@states) w CROSS JOIN jobs j
WHERE j.seq IN (SELECT seq FROM jobs WHERE queue = @queue AND state = w.value AND state <> 'active'
                ORDER BY seq DESC LIMIT @head)
ORDER BY j.seq DESC LIMIT @limit OFFSET @offset;

-- @name jobsAsc
SELECT j.* FROM json_each(@states) w CROSS JOIN jobs j
WHERE j.seq IN (SELECT seq FROM jobs WHERE queue = @queue AND state = w.value AND state <> 'active'
                ORDER BY seq ASC LIMIT @head)
ORDER BY j.seq ASC LIMIT @limit OFFSET @offset;

-- @name activeJobs
SELECT * FROM jobs WHERE queue = ? AND state = 'active';

-- @name countUnfinished
-- Unfinished states are counted from the indexes (bounded by the backlog)...
SELECT state, count(*) AS n FROM jobs
WHERE queue = @queue AND state IN ('waiting', 'delayed', 'waiting-children') AND state <> 'active'
GROUP BY state
UNION ALL
SELECT 'active', count(*) FROM jobs WHERE queue = @queue AND state = 'active';

-- @name countFinished
-- ...finished ones, a growing history, from the counts kept by every transition.
SELECT state, n FROM finished_counts WHERE queue = ?;
