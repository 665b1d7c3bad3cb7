-- remove-job.lua: deletes one job in any state.
-- @include settle
-- ARGV (after base's three): [4] now, [5] jobId.
-- Effect: the job hash (an active job's worker is fenced out), its logs, index entries, retention
--   and dedup entries are deleted. Children still waiting on it are settled as for a failed parent
--   ("parent job <id> removed": job:failed, cascading, or job:ready for "ignore").
-- Returns: { effects, 1 } when it existed, else { effects, 0 }.
local j = load(ARGV[5])
if not j then return { flush(), 0 } end
removeJobs({ j }, tonumber(ARGV[4]))
return { flush(), 1 }
