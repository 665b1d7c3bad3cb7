-- retry-job.lua: sends a finished job (failed, expired, cancelled, completed) back to waiting.
-- @include retry
-- ARGV (after base's three): [4] jobId.
-- Effect: retryFinished (attempts 0, stalledCount 0, stall charge cleared, error/result/finishedAt
--   cleared, retention entry dropped, waiting at the FIFO tail, job:waiting, wake "job").
-- Returns: { effects, 1 }, or { effects, 0 } when the job is missing or not finished.
local j = load(ARGV[4])
if not j or not FINISHED[j.state] then return { flush(), 0 } end
retryFinished(j)
return { flush(), 1 }
