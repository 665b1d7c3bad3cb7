// What a Redis claim pays, inside Redis, to read a waiting job and build its record, for several
// ways of storing and returning it (docs/performance.md, "first session of 2026-12-04"): 64 jobs a
// script call, timed by INFO commandstats (EVALSHA's usec over its calls), 3 rounds.
//   hash:    the baseline: the read and record of claimWaiting's take() in lua/includes/claiming.lua
//            (HGETALL, the record's 28 slots filled by name, cjson.encode), copied as of 2026-12-04,
//            as the others are standalone scripts; copy it again when take() changes.
//   joined:  the same hash, its HGETALL reply joined raw (table.concat), no table filled.
//   encoded: the same hash, its HGETALL reply cjson.encode'd as is.
//   planned: the 7 options written only at enqueue as one JSON field "o", the other fields as now;
//            one HMGET of the 17 fields a record needs.
//   split:   options, id, task and createdAt as one JSON field; data, the mutable and the internal
//            fields (seq, wm, rc, rf, hasDeps) as fields: its HGETALL joined raw.
//   picked:  that layout read by one HMGET of the 12 fields a record needs (6 absent), joined.
//   blob:    everything immutable, data included, as one JSON field; one HMGET of 9 fields, joined.
// Usage: node bench/claim-read.js [redis url]. Uses keys under its own prefix and deletes them; it
// resets the server's INFO commandstats (CONFIG RESETSTAT) before each pass, so run it on a server
// whose statistics nobody else reads.
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
/** A script over 64 jobs (KEYS[1]: their key prefix; ARGV[1]: the first one's number) returning `body`'s record of each. */
const perJob = (body, before = "") => `${before}local out = {}
for k = tonumber(ARGV[1]), tonumber(ARGV[1]) + 63 do
${body}
end
return out`;
/** The job's HGETALL with the claim's changes appended, encoded by `encode` (Lua, of h). */
const wholeHash = (encode) =>
  perJob(`  local h = redis.call('HGETALL', KEYS[1] .. k)
  local n = #h
  h[n + 1], h[n + 2], h[n + 3], h[n + 4], h[n + 5], h[n + 6] = 'state', 'active', 'attempts', '1', 'token', 't.' .. k
  out[#out + 1] = ${encode}`);
/** One HMGET of `fields`, the attempts (at `attempts`) counted up, absent ones from `from` on as '', joined. */
const picked = (fields, attempts, from) =>
  perJob(`  local v = redis.call('HMGET', KEYS[1] .. k, ${fields})
  v[${attempts}] = tostring(v[${attempts}] + 1)
  for i = ${from}, #v do v[i] = v[i] or '' end
  v[#v + 1] = 't.' .. k
  out[#out + 1] = table.concat(v, '\\31')`);
const SCRIPTS = {
  hash: perJob(
    `  local h = redis.call('HGETALL', KEYS[1] .. k)
  local v = { false, false, false, false, false, false, false, false, false, false, false, false, false,
    false, false, false, false, false, false, false, false, false, false, false, false, false, false, false }
  for i = 1, #h, 2 do
    local p = POS[h[i]]
    if p then v[p] = h[i + 1] end
  end
  v[4], v[6], v[13], v[24], v[25], v[28] = 'active', '1', '1796361912999', 'host:1:abcdef', '1796361942999', 't.' .. k
  out[#out + 1] = cjson.encode(v)`,
    `local POS = {}
for i, name in ipairs(${FIELDS}) do POS[name] = i end
`,
  ),
  joined: wholeHash("table.concat(h, '\\31')"),
  encoded: wholeHash("cjson.encode(h)"),
  split: wholeHash("table.concat(h, '\\31')"),
  picked: picked(
    `'rec', 'data', 'priority', 'attempts', 'stalledCount', 'runAt', 'progress', 'result', 'error',
    'dependsOn', 'stallCharge', 'finishedAt'`,
    4,
    6,
  ),
  planned:
    perJob(`  local v = redis.call('HMGET', KEYS[1] .. k, 'task', 'data', 'state', 'priority', 'attempts', 'ttl',
    'createdAt', 'runAt', 'finishedAt', 'progress', 'result', 'error', 'dependsOn', 'stalledCount',
    'onParentFailure', 'stallCharge', 'o')
  v[5] = tostring(v[5] + 1)
  v[18] = 't.' .. k
  out[#out + 1] = cjson.encode(v)`),
  blob: picked(
    `'rec', 'attempts', 'stalledCount', 'runAt', 'progress', 'result', 'error', 'stallCharge', 'finishedAt'`,
    2,
    4,
  ),
};

/** The keys each script reads. */
const LAYOUT = {
  hash: "hash",
  joined: "hash",
  encoded: "hash",
  split: "split",
  picked: "split",
  planned: "planned",
  blob: "blob",
};

/** Every job key of a layout. */
const keysOf = (layout) => Array.from({ length: JOBS }, (_, i) => `${PREFIX}${layout}:${i}`);

async function load() {
  const pipe = redis.pipeline();
  for (let i = 0; i < JOBS; i++) {
    const id = String(i);
    const seq = { seq: id, wm: `5:${id}`, rc: "1", rf: "1", hasDeps: "0" };
    // The fields of a waiting job as insert.lua writes them, but for the options ("hash" layout).
    const common = {
      id,
      task: TASK,
      data: "{}",
      state: "waiting",
      priority: "5",
      attempts: "0",
      createdAt: CREATED,
      stalledCount: "0",
    };
    pipe.hset(`${PREFIX}hash:${id}`, {
      ...common,
      maxRetries: "0",
      removeOnComplete: "true",
      removeOnFail: "true",
      ...seq,
    });
    const rec = { id, task: TASK, data: "{}", priority: 5, maxRetries: 0, createdAt: Number(CREATED) };
    pipe.hset(`${PREFIX}split:${id}`, {
      rec: JSON.stringify({
        id,
        task: TASK,
        maxRetries: 0,
        createdAt: Number(CREATED),
        removeOnComplete: true,
      }),
      data: "{}",
      state: "waiting",
      priority: "5",
      attempts: "0",
      stalledCount: "0",
      ...seq,
    });
    pipe.hset(`${PREFIX}planned:${id}`, {
      ...common,
      o: '{"maxRetries":0,"removeOnComplete":true,"removeOnFail":true}',
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
