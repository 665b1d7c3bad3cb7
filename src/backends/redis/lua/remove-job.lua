-- remove-job.lua: deletes one job in any state.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] want local events, [3] now, [4] jobId.
-- Effect: the job hash (an active job's worker is fenced out), its logs, index entries, retention
--   and dedup entries are deleted. Children still waiting on it are settled as for a failed parent
--   ("parent job <id> removed": job:failed, cascading, or job:ready for "ignore").
-- Returns: { events JSON or '', 1 } when it existed, else { '', 0 }.
local j = load(ARGV[4])
if not j then return { '', 0 } end
removeJobs({ j }, tonumber(ARGV[3]))
return { flush(), 1 }
