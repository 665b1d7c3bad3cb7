-- 003_stall_charge: the stall rule's bookkeeping (docs/reliability.md, "Stalls and poison jobs").
-- stall_charge: the stalls charged to a job, a sum of shares 1/N (a worker that dies holding N jobs
-- charges each 1/N); the job fails once it passes maxStalledCount. stall_peers: how many jobs its
-- worker held when a sweep found that worker dead while this job's lease still ran (0: none), so
-- that the job is charged as one of them when its own lease lapses at a later sweep.
-- Adds columns with constant defaults (no table rewrite). Drops nothing.

ALTER TABLE {{schema}}.jobs ADD COLUMN stall_charge double precision NOT NULL DEFAULT 0;
ALTER TABLE {{schema}}.jobs ADD COLUMN stall_peers integer NOT NULL DEFAULT 0;
