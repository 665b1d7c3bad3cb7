-- remove-job.lua: deletes one job in any state.
-- Prepended: lib.lua.
-- KEYS: [1] queue prefix, [2] global prefix.
-- ARGV: [1] queue, [2] unused, [3] jobId.
-- Effect: the job hash (an active job's worker is fenced out), its logs, index entries, retention
--   and dedup entries are deleted. No event.
-- Returns: 1 when it existed, else 0.
local j = load(ARGV[3])
if not j then return 0 end
deleteJob(j)
return 1
