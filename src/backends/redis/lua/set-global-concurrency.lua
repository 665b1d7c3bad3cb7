-- set-global-concurrency.lua: sets or removes a queue's global concurrency.
-- @include events
-- ARGV (after base's three): [4] the limit (an integer >= 1, checked by the caller), or '' for none.
-- Effect: sets or deletes "<Q>global-concurrency", which claim.lua obeys; wakes "resume" (a raised or
--   removed limit lets waiting workers claim).
-- Returns: { effects }.
if ARGV[4] ~= '' then
  redis.call('SET', Q .. 'global-concurrency', ARGV[4])
else
  redis.call('DEL', Q .. 'global-concurrency')
end
wakes.resume = true
return { flush() }
