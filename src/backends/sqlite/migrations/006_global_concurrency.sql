-- 006_global_concurrency: a queue's global concurrency (queue.setGlobalConcurrency), beside its
-- pause flag: claim never lets more than this many of the queue's jobs be active. NULL: no limit.
-- Adds a nullable column (no rewrite). Drops nothing.

ALTER TABLE queues ADD COLUMN global_concurrency INTEGER;
