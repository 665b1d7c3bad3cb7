-- 002_metrics: counts and histograms of finished attempts per queue (the MetricStore of backend.ts).
-- One row per queue and minute (epoch ms, a multiple of 60 000), plus the queue's totals in the row
-- of minute -1. Columns: the counters of shared/metric-rows.ts METRIC_COLUMNS, w0..w14 and r0..r14
-- the wait and run histograms (one count per bucket of METRIC_BUCKETS_MS, then the open one).
-- Minute rows are pruned past the retention the recorder passes; the totals row never is.
-- Adds a table. Drops nothing.

CREATE TABLE {{schema}}.metrics (
  queue text NOT NULL,
  minute bigint NOT NULL,
  completed bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  retried bigint NOT NULL DEFAULT 0,
  wait_sum bigint NOT NULL DEFAULT 0,
  run_sum bigint NOT NULL DEFAULT 0,
  w0 bigint NOT NULL DEFAULT 0,
  w1 bigint NOT NULL DEFAULT 0,
  w2 bigint NOT NULL DEFAULT 0,
  w3 bigint NOT NULL DEFAULT 0,
  w4 bigint NOT NULL DEFAULT 0,
  w5 bigint NOT NULL DEFAULT 0,
  w6 bigint NOT NULL DEFAULT 0,
  w7 bigint NOT NULL DEFAULT 0,
  w8 bigint NOT NULL DEFAULT 0,
  w9 bigint NOT NULL DEFAULT 0,
  w10 bigint NOT NULL DEFAULT 0,
  w11 bigint NOT NULL DEFAULT 0,
  w12 bigint NOT NULL DEFAULT 0,
  w13 bigint NOT NULL DEFAULT 0,
  w14 bigint NOT NULL DEFAULT 0,
  r0 bigint NOT NULL DEFAULT 0,
  r1 bigint NOT NULL DEFAULT 0,
  r2 bigint NOT NULL DEFAULT 0,
  r3 bigint NOT NULL DEFAULT 0,
  r4 bigint NOT NULL DEFAULT 0,
  r5 bigint NOT NULL DEFAULT 0,
  r6 bigint NOT NULL DEFAULT 0,
  r7 bigint NOT NULL DEFAULT 0,
  r8 bigint NOT NULL DEFAULT 0,
  r9 bigint NOT NULL DEFAULT 0,
  r10 bigint NOT NULL DEFAULT 0,
  r11 bigint NOT NULL DEFAULT 0,
  r12 bigint NOT NULL DEFAULT 0,
  r13 bigint NOT NULL DEFAULT 0,
  r14 bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, minute)
);
