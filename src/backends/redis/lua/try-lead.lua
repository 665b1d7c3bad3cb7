-- try-lead.lua: takes, takes over or renews leader leases.
-- A global script: KEYS[1] = "<G>leaders" (KEYS[2] the same: global scripts take two keys).
-- ARGV: [1] holder, [2] new expiry (now + ttl), [3] now, [4..] scopes.
-- Effect: "<G>leaders" scope -> "<expiresAt>|<holder>"; each scope that is free, expired
--   (expiresAt <= now) or held by the holder gets the holder and the new expiry; others stay.
-- Returns: the scopes the holder holds afterwards.
local key = KEYS[1]
local holder, expiry, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local scopes = {}
for i = 4, #ARGV do scopes[#scopes + 1] = ARGV[i] end
if #scopes == 0 then return {} end
local current = redis.call('HMGET', key, unpack(scopes))
local held, writes = {}, {}
for i, scope in ipairs(scopes) do
  local lease = current[i]
  local take = not lease
  if lease then
    local bar = string.find(lease, '|', 1, true)
    take = tonumber(string.sub(lease, 1, bar - 1)) <= now or string.sub(lease, bar + 1) == holder
  end
  if take then
    held[#held + 1] = scope
    writes[#writes + 1] = scope
    writes[#writes + 1] = expiry .. '|' .. holder
  end
end
if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
return held
