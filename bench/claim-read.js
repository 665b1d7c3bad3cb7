// What a Redis claim pays, inside Redis, to read a waiting job and build its record, for three ways
// of storing and returning it (docs/performance.md, "first session of 2026-12-04"): 64 jobs a
// script call, timed by INFO commandstats (EVALSHA's usec over its calls), 3 rounds.
//   hash:   as claiming.lua does now: HGETALL of the job's fields, the record's 28 slots filled by
//           name, cjson.encode.
//   joined: the same hash, its HGETALL reply joined raw (table.concat), no table filled.
//   blob:   the immutable fields and data stored as one JSON text at enqueue, read with the mutable
//           ones by one HMGET of 9 fields, joined.
//   split:  a layout that keeps data, the mutable and the internal fields (seq, wm, rc, rf, hasDeps)
//           as fields and only the options in the JSON text: its HGETALL joined raw.
//   picked: that layout read by one HMGET of the 12 fields a record needs (6 absent), joined.
// Usage: node bench/claim-read.js [redis url]. Uses keys under its own prefix and deletes them.
import { Redis } from "ioredis";

const redis = new Redis(process.argv[2] ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const JOBS = 64 * 200;
const PREFIX = `bench-claim-read-${process.pid}:`;
const TASK = "bench-tp-123-1-noop";
const CREATED = "1796361912977";

const FIELDS = `{ 'id', 'task', 'data', 'state', 'priority', 'attempts', 'maxRetries', 'backoff', 'ttl',
  'timeout', 'createdAt', 'runAt', 'startedAt', 'finishedAt', 'progress', 'result', 'error', 'dependsOn',
  'stalledCount', 'onParentFailure', 'removeOnComplete', 'removeOnFail', 'inherit', 'workerId',
  'leaseExpiresAt', 'stallCharge', 'traceContext' }`;
// KEYS[1]: the jobs' key prefix; ARGV[1]: the first job's number. Each returns 64 records.
const SCRIPTS = {
  hash: `local POS = {}
for i, name in ipairs(${FIELDS}) do POS[name] = i end
local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
  local h = redis.call('HGETALL', KEYS[1] .. k)
  local v = { false, false, false, false, false, false, false, false, false, false, false, false, false,
    false, false, false, false, false, false, false, false, false, false, false, false, false, false, false }
  for i = 1, #h, 2 do
    local p = POS[h[i]]
    if p then v[p] = h[i + 1] end
  end
  v[4], v[6], v[13], v[24], v[25], v[28] = 'active', '1', '1796361912999', 'host:1:abcdef', '1796361942999', 't.' .. k
  out[#out + 1] = cjson.encode(v)
end
return out`,
  joined: `local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
  local h = redis.call('HGETALL', KEYS[1] .. k)
  local n = #h
  h[n + 1], h[n + 2], h[n + 3], h[n + 4], h[n + 5], h[n + 6] = 'state', 'active', 'attempts', '1', 'token', 't.' .. k
  out[#out + 1] = table.concat(h, '\\31')
end
return out`,
  split: `local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
  local h = redis.call('HGETALL', KEYS[1] .. k)
  local n = #h
  h[n + 1], h[n + 2], h[n + 3], h[n + 4], h[n + 5], h[n + 6] = 'state', 'active', 'attempts', '1', 'token', 't.' .. k
  out[#out + 1] = table.concat(h, '\\31')
end
return out`,
  picked: `local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
  local v = redis.call('HMGET', KEYS[1] .. k, 'rec', 'data', 'priority', 'attempts', 'stalledCount', 'runAt',
    'progress', 'result', 'error', 'dependsOn', 'stallCharge', 'finishedAt')
  v[4] = tostring(v[4] + 1)
  for i = 6, 12 do v[i] = v[i] or '' end
  v[13] = 't.' .. k
  out[#out + 1] = table.concat(v, '\\31')
end
return out`,
  blob: `local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
  local v = redis.call('HMGET', KEYS[1] .. k, 'rec', 'attempts', 'stalledCount', 'runAt', 'progress', 'result',
    'error', 'stallCharge', 'finishedAt')
  v[2] = tostring(v[2] + 1)
  for i = 4, 9 do v[i] = v[i] or '' end
  v[10] = 't.' .. k
  out[#out + 1] = table.concat(v, '\\31')
end
return out`,
};

/** The keys each script reads. */
const LAYOUT = { hash: "hash", joined: "hash", split: "split", picked: "split", blob: "blob" };

/** Every job key of a layout. */
const keysOf = (layout) => Array.from({ length: JOBS }, (_, i) => `${PREFIX}${layout}:${i}`);

async function load() {
  const pipe = redis.pipeline();
  for (let i = 0; i < JOBS; i++) {
    const id = String(i);
    const seq = { seq: id, wm: `5:${id}`, rc: "1", rf: "1", hasDeps: "0" };
    pipe.hset(`${PREFIX}hash:${id}`, {
      id,
      task: TASK,
      data: "{}",
      state: "waiting",
      priority: "5",
      attempts: "0",
      maxRetries: "0",
      createdAt: CREATED,
      stalledCount: "0",
      removeOnComplete: "true",
      removeOnFail: "true",
      ...seq,
    });
    const rec = { id, task: TASK, data: "{}", priority: 5, maxRetries: 0, createdAt: Number(CREATED) };
    pipe.hset(`${PREFIX}split:${id}`, {
      rec: JSON.stringify({ id, task: TASK, maxRetries: 0, createdAt: Number(CREATED), removeOnComplete: true }),
      data: "{}",
      state: "waiting",
      priority: "5",
      attempts: "0",
      stalledCount: "0",
      ...seq,
    });
    pipe.hset(`${PREFIX}blob:${id}`, {
      rec: JSON.stringify({ ...rec, removeOnComplete: true, removeOnFail: true }),
      state: "waiting",
      attempts: "0",
      stalledCount: "0",
      ...seq,
    });
  }
  await pipe.exec();
}

/** EVALSHA's microseconds a job inside Redis for one pass over every job. */
async function time(sha, layout) {
  await redis.config("RESETSTAT");
  for (let first = 0; first < JOBS; first += 64) await redis.evalsha(sha, 1, `${PREFIX}${layout}:`, first);
  const stats = (await redis.info("commandstats")).match(/cmdstat_evalsha:calls=\d+,usec=(\d+)/);
  if (!stats) throw new Error("INFO commandstats has no evalsha line");
  return Number(stats[1]) / JOBS;
}

try {
  await load();
  const shas = {};
  for (const [name, text] of Object.entries(SCRIPTS)) shas[name] = await redis.script("LOAD", text);
  for (let round = 1; round <= 3; round++) {
    const us = {};
    for (const name of Object.keys(SCRIPTS)) {
      us[name] = (await time(shas[name], LAYOUT[name])).toFixed(2);
    }
    console.log(`round ${round}, us a job inside Redis: ${JSON.stringify(us)}`);
  }
} finally {
  for (const layout of new Set(Object.values(LAYOUT))) {
    const keys = keysOf(layout);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  }
  redis.disconnect();
}
