-- adjustRateTokens: changes a queue's token bucket (see rate-token.sql) in ONE statement: refund
-- (tokens given back) and hold (a ceiling that puts the next token a given time away; holdCeiling).
-- Inputs: $1 queue, $2 rate, $3 interval ms, $4 now, $5 add (tokens given back, >= 0), $6 ceiling
-- (the most tokens to leave; the rate for no limit).
-- Effect: upserts the bucket row (a bucket never used is full), refills it to now as takeRateToken
-- does, then sets tokens = least(rate, tokens + add, ceiling) (adjustedTokens of shared/rules.ts).
-- Returns: nothing.

-- @name adjustRateTokens
INSERT INTO {{schema}}.rate_buckets AS b (queue, tokens, updated_at, available)
VALUES ($1, least($2::float8, $6::float8), $4::bigint, $2::float8)
ON CONFLICT (queue) DO UPDATE SET
  tokens = least($2::float8,
                 b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / $3::float8 + $5::float8,
                 $6::float8),
  updated_at = greatest($4::bigint, b.updated_at);
