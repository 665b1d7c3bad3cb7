-- enqueue.lua: inserts a batch of jobs (or one chunk of a large batch).
-- @include insert
-- @include claiming
-- ARGV (after base's three): [4] role: 'only' (the whole batch), or for a batch split into chunks
--   sent in one MULTI: 'first', 'next', 'last'; [5] batch gate id; [6] JSON array of parent ids to
--   check (dependsOn ids not created earlier in the batch; 'only' and 'first' check them); [7] JSON
--   array of jobs, each an array of 23 strings (see insert), or a string: the job before's array
--   but for its data, this string (the first entry is an array). One JSON argument per chunk
--   keeps client encoding and Redis argument parsing cheap; the short form makes the jobs of a
--   plain addBulk one string each to encode and decode, and lets insert reuse their fields.
--   [8] workerId of an idle worker to claim for once the jobs are in ('' = none; role 'only'),
--   then claimWaiting's [9] now, [10] limit, [11] leaseMs, [12] token base, [13] stallPeers.
-- Scripts do not roll back, so a chunk must not fail after an earlier one wrote: the caller sends
--   only jobs this script can read and store (enqueue.ts checks them all first); here the missing
--   parents are the one refusal, and only the first chunk makes it.
-- Effect: each chunk reads its jobs before any write. 'only'/'first' check that every listed parent
--   exists and write nothing otherwise; 'first' then sets the gate key "<Q>batch:<id>", which
--   'next'/'last' require ('last' deletes it), so a rejected first chunk rejects the whole MULTI.
--   Each job is inserted (see insert; the index writes of plain jobs batched). The queue joins
--   "<G>queues".
--   With [8], the jobs are then claimed as claim.lua does (claimWaiting), in the same script.
-- Returns: { 'ok', effects, id1, state1, duplicate1 (0/1), ..., claimed } (claimed only with [8]:
--   the list of claimed records, as claim.lua returns them after its effects), or
--   { 'invalid', parentId }, or { 'aborted' } when the gate is missing.
local role, gate = ARGV[4], Q .. 'batch:' .. ARGV[5]
local jobs = cjson.decode(ARGV[7])
if role == 'only' or role == 'first' then
  local missing = missingParent(cjson.decode(ARGV[6]))
  if missing then return { 'invalid', missing } end
  if role == 'first' then redis.call('SET', gate, '1', 'PX', 600000) end
elseif redis.call('EXISTS', gate) == 0 then
  return { 'aborted' }
end
if role == 'last' then redis.call('DEL', gate) end
listQueue(true)
local out = { 'ok', '' }
-- Deferring saves per job what it costs per batch (insertsDone): not worth it for one job.
local defer = #jobs > 1
local last
for _, job in ipairs(jobs) do
  if type(job) == 'string' then
    last[3] = job
  else
    last = job
  end
  local id, state, duplicate = insert(last, defer)
  out[#out + 1] = id
  out[#out + 1] = state
  out[#out + 1] = duplicate
end
insertsDone()
if (ARGV[8] or '') ~= '' then
  local claimed = claimWaiting(tonumber(ARGV[9]), ARGV[8], tonumber(ARGV[10]), tonumber(ARGV[11]), ARGV[12], '',
    ARGV[13])
  table.remove(claimed, 1)
  out[#out + 1] = claimed
end
out[2] = flush()
return out
