-- resign-leader.lua: frees the leader leases a holder holds.
-- A global script: KEYS[1] = "<G>leaders" (KEYS[2] the same: global scripts take two keys).
-- ARGV: [1] holder, [2..] scopes.
-- Effect: removes from "<G>leaders" each of the scopes whose lease the holder holds.
-- Returns: how many it removed.
local key = KEYS[1]
local holder = ARGV[1]
local scopes = {}
for i = 2, #ARGV do scopes[#scopes + 1] = ARGV[i] end
if #scopes == 0 then return 0 end
local current = redis.call('HMGET', key, unpack(scopes))
local mine = {}
for i, scope in ipairs(scopes) do
  local lease = current[i]
  if lease and string.sub(lease, string.find(lease, '|', 1, true) + 1) == holder then
    mine[#mine + 1] = scope
  end
end
if #mine == 0 then return 0 end
return redis.call('HDEL', key, unpack(mine))
