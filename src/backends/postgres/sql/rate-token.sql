-- takeRateToken: a token bucket per queue, shared by every worker in every process, in ONE statement.
-- Inputs: $1 queue, $2 rate, $3 interval ms, $4 now.
-- Effect: upserts the bucket row (so concurrent first takers queue on one row lock too), refills it
-- continuously from updated_at to now (capped at rate; a clock behind the last writer refills
-- nothing and moves no time back), takes one token when at least one is there, and stores it. A
-- bucket never used starts full. In SET, every column reference reads the row before this take.
-- Returns: `available`, the tokens this take found (>= 1 means it got one).

-- @name takeRateToken
INSERT INTO {{schema}}.rate_buckets AS b (queue, tokens, updated_at, available)
VALUES ($1, CASE WHEN $2::float8 >= 1 - 1e-9 THEN $2::float8 - 1 ELSE $2::float8 END, $4::bigint, $2::float8)
ON CONFLICT (queue) DO UPDATE SET
  available = least($2::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / $3::float8),
  tokens = CASE
    WHEN least($2::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / $3::float8) >= 1 - 1e-9
    THEN greatest(0, least($2::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / $3::float8) - 1)
    ELSE least($2::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / $3::float8) END,
  updated_at = greatest($4::bigint, b.updated_at)
RETURNING available;
