-- metrics (record, minutes, totals): counts and histograms of finished attempts, per queue and
-- minute, and the queue's totals in the row of minute -1 (migrations/002_metrics.sql). Columns after
-- queue and minute are METRIC_COLUMNS of shared/metric-rows.ts, in that order.

-- @name metricsRecord
-- Inputs: $1 queue; $2 the rows to add into, jsonb [{"minute": m, "v": [35 counters in
--   METRIC_COLUMNS order]}] (minute -1 for the totals); $3 the prune cutoff, or null (the caller
--   prunes at most once per queue and minute).
-- Effect: ONE statement: adds each row's counters into the stored row, inserting it when absent
--   (processes recording at once add exactly: ON CONFLICT locks the row and adds to its current
--   value), and deletes the queue's minute rows with minute < $3 (never the totals). Rows are
--   written in minute order, the totals first, so concurrent calls lock rows in one order.
-- Returns: nothing.
WITH pruned AS (
  DELETE FROM {{schema}}.metrics WHERE queue = $1 AND minute >= 0 AND minute < $3::bigint
)
INSERT INTO {{schema}}.metrics AS m (
  queue, minute,
  completed, failed, retried, wait_sum, run_sum, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11,
  w12, w13, w14, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14
)
SELECT $1, r.minute,
  r.v[1], r.v[2], r.v[3], r.v[4], r.v[5], r.v[6], r.v[7], r.v[8], r.v[9], r.v[10], r.v[11],
  r.v[12], r.v[13], r.v[14], r.v[15], r.v[16], r.v[17], r.v[18], r.v[19], r.v[20], r.v[21],
  r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27], r.v[28], r.v[29], r.v[30], r.v[31],
  r.v[32], r.v[33], r.v[34], r.v[35]
FROM jsonb_to_recordset($2::jsonb) AS r (minute bigint, v bigint[])
ORDER BY r.minute
ON CONFLICT (queue, minute) DO UPDATE SET
  completed = m.completed + excluded.completed,
  failed = m.failed + excluded.failed,
  retried = m.retried + excluded.retried,
  wait_sum = m.wait_sum + excluded.wait_sum,
  run_sum = m.run_sum + excluded.run_sum,
  w0 = m.w0 + excluded.w0,
  w1 = m.w1 + excluded.w1,
  w2 = m.w2 + excluded.w2,
  w3 = m.w3 + excluded.w3,
  w4 = m.w4 + excluded.w4,
  w5 = m.w5 + excluded.w5,
  w6 = m.w6 + excluded.w6,
  w7 = m.w7 + excluded.w7,
  w8 = m.w8 + excluded.w8,
  w9 = m.w9 + excluded.w9,
  w10 = m.w10 + excluded.w10,
  w11 = m.w11 + excluded.w11,
  w12 = m.w12 + excluded.w12,
  w13 = m.w13 + excluded.w13,
  w14 = m.w14 + excluded.w14,
  r0 = m.r0 + excluded.r0,
  r1 = m.r1 + excluded.r1,
  r2 = m.r2 + excluded.r2,
  r3 = m.r3 + excluded.r3,
  r4 = m.r4 + excluded.r4,
  r5 = m.r5 + excluded.r5,
  r6 = m.r6 + excluded.r6,
  r7 = m.r7 + excluded.r7,
  r8 = m.r8 + excluded.r8,
  r9 = m.r9 + excluded.r9,
  r10 = m.r10 + excluded.r10,
  r11 = m.r11 + excluded.r11,
  r12 = m.r12 + excluded.r12,
  r13 = m.r13 + excluded.r13,
  r14 = m.r14 + excluded.r14;

-- @name metricsRange
-- Inputs: $1 queue, $2 from, $3 to (from >= 0). Returns: the minute rows with from <= minute < to, ascending.
SELECT * FROM {{schema}}.metrics WHERE queue = $1 AND minute >= $2 AND minute < $3 ORDER BY minute;

-- @name metricsTotals
-- Inputs: $1 queue. Returns: the totals row, or no row when the queue recorded nothing.
SELECT * FROM {{schema}}.metrics WHERE queue = $1 AND minute = -1;
