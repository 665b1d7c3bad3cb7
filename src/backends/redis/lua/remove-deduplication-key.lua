-- remove-deduplication-key.lua: releases one dedup key (queue.removeDeduplicationKey).
-- @include base
-- ARGV (after base's three): [4] the key.
-- Effect: deletes the key from "<Q>dedup"; the job that held it stays (and keeps its dedupKey field,
--   which deleteJob only honours while the key still points at it).
-- Returns: 1 when the key was held, else 0.
return redis.call('HDEL', Q .. 'dedup', ARGV[4])
