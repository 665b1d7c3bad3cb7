-- takeRateToken: a token bucket per queue, shared by every worker in every process, in ONE statement.
-- Inputs: $1 queue, $2 rate, $3 interval ms, $4 now.
-- Effect: locks the bucket row, refills it continuously from updated_at to now (capped at rate; a
-- clock behind the last writer refills nothing and moves no time back), takes one token when at
-- least one is there, and stores it. A bucket never used starts full.
-- Returns: `available`, the tokens before taking (>= 1 means one was taken).

-- @name takeRateToken
WITH old AS (
  SELECT tokens, updated_at FROM {{schema}}.rate_buckets WHERE queue = $1 FOR UPDATE
),
calc AS (
  SELECT CASE WHEN o.updated_at IS NULL THEN $2::float8
              ELSE least($2::float8, o.tokens + greatest(0, $4::bigint - o.updated_at) * $2::float8 / $3::float8)
         END AS available,
         greatest($4::bigint, coalesce(o.updated_at, $4::bigint)) AS at
  FROM (SELECT 1) one LEFT JOIN old o ON true
),
store AS (
  INSERT INTO {{schema}}.rate_buckets AS b (queue, tokens, updated_at)
  SELECT $1, CASE WHEN available >= 1 - 1e-9 THEN greatest(0, available - 1) ELSE available END, at FROM calc
  ON CONFLICT (queue) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at
)
SELECT available FROM calc;
