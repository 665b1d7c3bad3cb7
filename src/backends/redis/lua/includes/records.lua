-- records: the fields of a JobRecord, in the order RECORD_FIELDS in records.ts decodes them.
-- Defines: RECORD_FIELDS.
local RECORD_FIELDS = { 'id', 'task', 'data', 'state', 'priority', 'attempts', 'maxRetries', 'backoff',
  'ttl', 'timeout', 'createdAt', 'runAt', 'startedAt', 'finishedAt', 'progress', 'result', 'error',
  'dependsOn', 'stalledCount', 'onParentFailure', 'removeOnComplete', 'removeOnFail', 'inherit',
  'workerId', 'leaseExpiresAt', 'stallCharge', 'traceContext' }
