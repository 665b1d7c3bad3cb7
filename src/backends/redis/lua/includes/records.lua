-- records: the fields of a JobRecord, in the order RECORD_FIELDS in records.ts decodes them, the
-- ones a claim reads, and how a job keeps its options.
-- Defines: RECORD_FIELDS, CLAIM_FIELDS, OPTION_FIELDS, optionsJson(values).
-- The options a job keeps as enqueued are one field, "o": a JSON object of OPTION_FIELDS (maxRetries
-- always, the others when set), written by insert. A claim then reads one field for them rather
-- than seven, mostly absent, of which each miss reads the whole hash (bench/claim-read.js: ~0.9 us
-- of the ~16 Redis spends a processed job). Jobs written before "o" keep them as fields of those
-- names: RECORD_FIELDS still lists them (records.ts reads either), and a claim that finds no "o"
-- builds it from them.
local RECORD_FIELDS = { 'id', 'task', 'data', 'state', 'priority', 'attempts', 'maxRetries', 'backoff',
  'ttl', 'timeout', 'createdAt', 'runAt', 'startedAt', 'finishedAt', 'progress', 'result', 'error',
  'dependsOn', 'stalledCount', 'onParentFailure', 'removeOnComplete', 'removeOnFail', 'inherit',
  'workerId', 'leaseExpiresAt', 'stallCharge', 'traceContext', 'o' }

-- What a claim reads of a waiting job (CLAIM_FIELDS in records.ts): its record but the lease fields
-- the claim sets and the options kept in "o".
local CLAIM_FIELDS = { 'id', 'task', 'data', 'state', 'priority', 'attempts', 'ttl', 'createdAt', 'runAt',
  'finishedAt', 'progress', 'result', 'error', 'dependsOn', 'stalledCount', 'onParentFailure',
  'stallCharge', 'o' }

local OPTION_FIELDS = { 'maxRetries', 'backoff', 'timeout', 'removeOnComplete', 'removeOnFail', 'inherit',
  'traceContext' }

-- The "o" field of the OPTION_FIELDS values given in that order, each as stored (a number or JSON
-- text; '' or false when unset).
local function optionsJson(values)
  local s = '{"maxRetries":' .. (values[1] or '0')
  for i = 2, #OPTION_FIELDS do
    local v = values[i]
    if v and v ~= '' then s = s .. ',"' .. OPTION_FIELDS[i] .. '":' .. v end
  end
  return s .. '}'
end
