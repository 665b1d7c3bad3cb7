-- claim.lua: claims up to `limit` waiting jobs (priority, then FIFO), or one given job.
-- @include claiming
-- ARGV (after base's three): [4] now, [5] workerId, [6] limit, [7] leaseMs, [8] token base, [9] the
--   one job id to claim, or '', [10] stallPeers (see claimWaiting).
-- Effect: claimWaiting's.
-- Returns: { effects, record1, record2, ... }; each record is a JSON array of the RECORD_FIELDS
--   values (false when absent) followed by the token.
local out = claimWaiting(tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], ARGV[9],
  ARGV[10])
out[1] = flush()
return out
