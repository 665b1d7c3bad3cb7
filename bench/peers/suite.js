// `node bench/run.js peers`: asyncmq next to its peers on the same engine, in one run on this
// machine. Each number comes from a fresh process: asyncmq through bench/one.js, each peer through
// its driver in this folder. Ratios: asyncmq/peer for jobs/s, peer/asyncmq for ms (>1: asyncmq better).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const fmt = (n, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

// Sizes per pair; both sides of a pair always get the same N. pg-boss polls every 0.5 s at best, so
// its pair runs fewer jobs and samples to keep the run short.
const PAIRS = [
  { engine: "redis", peer: "bullmq", bulk: 100_000, n: 20_000, samples: 300 },
  { engine: "postgres", peer: "pg-boss", bulk: 20_000, n: 2_000, samples: 50 },
  { engine: "postgres", peer: "graphile-worker", bulk: 20_000, n: 10_000, samples: 200 },
];
const CONCURRENCY = 50;

/** Creates the scratch database `asyncmq_bench` when DATABASE_URL is not given. */
async function ensureDatabase() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'asyncmq_bench'");
  if (rowCount === 0) await admin.query("CREATE DATABASE asyncmq_bench");
  await admin.end();
  return "postgres://postgres@127.0.0.1:5432/asyncmq_bench";
}

function spawnJson(file, args, env) {
  const out = execFileSync(process.execPath, [file, ...args.map(String)], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const last = JSON.parse(out.trim().split("\n").at(-1));
  return typeof last === "number" ? { value: last } : last;
}

export async function peers() {
  const env = { ...process.env, DATABASE_URL: await ensureDatabase() };
  const ours = (engine, metric, ...args) => spawnJson(here("../one.js"), [engine, metric, ...args], env);
  const theirs = (peer, metric, ...args) => spawnJson(here(`./${peer}.js`), [metric, ...args], env);
  const settings = new Map();
  const note = (peer, r) => {
    if (!settings.has(peer)) settings.set(peer, new Set());
    settings.get(peer).add(r.settings);
  };

  console.log(`asyncmq vs peers on node ${process.version}, ${new Date().toISOString()}`);
  console.log(`redis ${env.REDIS_URL ?? "redis://127.0.0.1:6379"}, postgres ${env.DATABASE_URL}`);
  const head = ["engine", "metric", "asyncmq", "peer", "peer value", "ratio"];
  const widths = [8, 38, 18, 15, 18, 12];
  const line = (cells) =>
    console.log(
      cells.map((c, i) => (i < 2 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" "),
    );
  line(head);

  for (const { engine, peer, bulk, n, samples } of PAIRS) {
    const a = ours(engine, "bulkInsert", bulk);
    const b = theirs(peer, "bulkInsert", bulk);
    note(peer, b);
    line([
      engine,
      `bulk insert, ${fmt(bulk)} jobs (jobs/s)`,
      fmt(a.value),
      peer,
      fmt(b.value),
      fmt(a.value / b.value, 2),
    ]);

    const ta = ours(engine, "throughput", n, CONCURRENCY);
    const tb = theirs(peer, "throughput", n, CONCURRENCY);
    note(peer, tb);
    line([
      engine,
      `throughput, c=${CONCURRENCY}, ${fmt(n)} jobs (jobs/s)`,
      fmt(ta.value),
      peer,
      fmt(tb.value),
      fmt(ta.value / tb.value, 2),
    ]);

    const la = ours(engine, "latency", samples);
    const lb = theirs(peer, "latency", samples);
    note(peer, lb);
    for (const q of ["p50", "p99"]) {
      line([
        engine,
        `enqueue-to-start ${q}, ${samples} samples (ms)`,
        fmt(la[q], 2),
        peer,
        fmt(lb[q], 2),
        fmt(lb[q] / la[q], 2),
      ]);
    }
  }

  console.log("\nratio: asyncmq/peer for jobs/s, peer/asyncmq for ms; > 1 means asyncmq is better.");
  console.log(
    `asyncmq: bench/measure.js (Queue.addBulk in chunks of 10,000; runWorker concurrency ${CONCURRENCY} / 1).`,
  );
  console.log("peer settings, as reported by each driver:");
  for (const [peer, set] of settings) for (const s of set) console.log(`  ${peer}: ${s}`);
}
