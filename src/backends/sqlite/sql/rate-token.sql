-- rate limits (take, refund, hold): a token bucket per queue, shared by every worker in every process.
-- Inputs: queue (bucketGet); queue, tokens, updated_at (bucketSet).
-- Effect: in one transaction, the caller refills from updated_at to now, takes a token when one is
-- there (take), gives back tokens up to the bucket's size (refund) or lowers it so that its next
-- token is a given time away (hold), and stores it.
-- Returns: the bucket, or no row when it was never used (it starts full).

-- @name bucketGet
SELECT tokens, updated_at FROM rate_buckets WHERE queue = ?;

-- @name bucketSet
INSERT INTO rate_buckets (queue, tokens, updated_at) VALUES (?, ?, ?)
ON CONFLICT (queue) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at;
