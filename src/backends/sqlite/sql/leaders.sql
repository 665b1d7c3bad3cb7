-- leaders: leader leases, one row per scope.
-- Inputs: scope, holder, expires_at (now + ttl), now (leaderTake); scope, holder (leaderResign).
-- Effect: leaderTake inserts the lease, or takes it over when it expired or renews it when the
-- holder already holds it; a lease another holder holds unexpired stays. leaderResign deletes the
-- holder's lease.
-- Returns: leaderTake a row (the scope) when the holder holds the lease afterwards, else none.

-- @name leaderTake
INSERT INTO leaders (scope, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (scope) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leaders.holder = excluded.holder OR leaders.expires_at <= ?
RETURNING scope;

-- @name leaderResign
DELETE FROM leaders WHERE scope = ? AND holder = ?;
