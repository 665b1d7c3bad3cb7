-- leaders: leader leases, one row per scope.
-- Inputs: scopes (text[]), holder, expires_at (now + ttl), now (leaderTake); scopes, holder (leaderResign).
-- Effect: leaderTake inserts each lease, or takes it over when it expired or renews it when the
-- holder already holds it (the row lock of ON CONFLICT makes each one atomic; scopes in sorted
-- order, so two callers never wait on each other in a cycle); a lease another holder holds
-- unexpired stays. leaderResign deletes the holder's leases.
-- Returns: leaderTake the scopes the holder holds afterwards.

-- @name leaderTake
INSERT INTO {{schema}}.leaders AS l (scope, holder, expires_at)
SELECT s, $2, $3 FROM unnest($1::text[]) AS s ORDER BY s
ON CONFLICT (scope) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE l.holder = excluded.holder OR l.expires_at <= $4
RETURNING scope;

-- @name leaderResign
DELETE FROM {{schema}}.leaders WHERE scope = ANY($1::text[]) AND holder = $2;
