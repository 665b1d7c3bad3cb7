-- metrics (record, minutes, totals): counts and histograms of finished attempts, per queue and
-- minute, and the queue's totals in the row of minute -1 (migrations/003_metrics.sql). Columns after
-- queue and minute are METRIC_COLUMNS of shared/metric-rows.ts, in that order.
-- record runs in ONE write transaction: metricsPrune (at most once per queue and minute per
-- process), then metricsAdd for the totals row and each minute row. Several processes add exactly:
-- each transaction holds the write lock, and each upsert adds to what is stored.

-- @name metricsAdd
-- Inputs: queue, minute (-1 for the totals), then the 35 counters in METRIC_COLUMNS order.
-- Effect: inserts the row, or adds each counter to the stored one. Returns nothing.
INSERT INTO metrics (
  queue, minute,
  completed, failed, retried, wait_sum, run_sum, w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11,
  w12, w13, w14, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14
) VALUES (
  ?, ?,
  ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
  ?, ?, ?
)
ON CONFLICT (queue, minute) DO UPDATE SET
  completed = completed + excluded.completed,
  failed = failed + excluded.failed,
  retried = retried + excluded.retried,
  wait_sum = wait_sum + excluded.wait_sum,
  run_sum = run_sum + excluded.run_sum,
  w0 = w0 + excluded.w0,
  w1 = w1 + excluded.w1,
  w2 = w2 + excluded.w2,
  w3 = w3 + excluded.w3,
  w4 = w4 + excluded.w4,
  w5 = w5 + excluded.w5,
  w6 = w6 + excluded.w6,
  w7 = w7 + excluded.w7,
  w8 = w8 + excluded.w8,
  w9 = w9 + excluded.w9,
  w10 = w10 + excluded.w10,
  w11 = w11 + excluded.w11,
  w12 = w12 + excluded.w12,
  w13 = w13 + excluded.w13,
  w14 = w14 + excluded.w14,
  r0 = r0 + excluded.r0,
  r1 = r1 + excluded.r1,
  r2 = r2 + excluded.r2,
  r3 = r3 + excluded.r3,
  r4 = r4 + excluded.r4,
  r5 = r5 + excluded.r5,
  r6 = r6 + excluded.r6,
  r7 = r7 + excluded.r7,
  r8 = r8 + excluded.r8,
  r9 = r9 + excluded.r9,
  r10 = r10 + excluded.r10,
  r11 = r11 + excluded.r11,
  r12 = r12 + excluded.r12,
  r13 = r13 + excluded.r13,
  r14 = r14 + excluded.r14;

-- @name metricsPrune
-- Inputs: queue, cutoff. Effect: deletes the queue's minute rows with minute < cutoff (never its
-- totals row). Returns nothing.
DELETE FROM metrics WHERE queue = ? AND minute >= 0 AND minute < ?;

-- @name metricsRange
-- Inputs: queue, from, to (from >= 0). Returns: the minute rows with from <= minute < to, ascending.
SELECT * FROM metrics WHERE queue = ? AND minute >= ? AND minute < ? ORDER BY minute;

-- @name metricsTotals
-- Inputs: queue. Returns: the totals row, or no row when the queue recorded nothing.
SELECT * FROM metrics WHERE queue = ? AND minute = -1;
