// `node bench/run.js backlog [N]`: a backlog of N jobs on SQLite, Redis and Postgres, asyncmq
// (bench/one.js <engine> backlog, bench/measure.js) and then each of its peers on that engine (their
// drivers' `backlog` metric, in their tuned mode), every number from a fresh process, all with the
// same N and the same definitions: insert through the bulk API in chunks of 10,000, then one worker
// at concurrency 50; the rate over the first and the last N/10 jobs started (it must not fall as the
// backlog is worked through), the overall rate to the last completion, and the storage per job
// measured before and after the insert (bench/storage.js). BENCH_PEERS narrows the peers (none: asyncmq
// alone). Ratios: asyncmq/peer, > 1: asyncmq faster.
import { chosenPeers, ensureDatabase, fmt, here, spawnJson } from "./suite.js";

const CONCURRENCY = 50;
const TIMEOUT_MS = 2 * 3600_000; // one backlog: a slow peer at 1,000,000 jobs takes minutes
const ENGINES = ["sqlite", "redis", "postgres"];
// Each peer's row is compared with the asyncmq row run like it: BullMQ tuned and graphile-worker
// remove finished jobs, so asyncmq's row next to theirs does too (BENCH_REMOVE_ON_COMPLETE=1),
// besides its usual row.
const PEERS = [
  { engine: "redis", peer: "bullmq", ours: { BENCH_REMOVE_ON_COMPLETE: "1" }, label: "removes jobs" },
  {
    engine: "postgres",
    peer: "graphile-worker",
    ours: { BENCH_REMOVE_ON_COMPLETE: "1" },
    label: "removes jobs",
  },
  { engine: "postgres", peer: "pg-boss" },
];
const RATES = ["insert", "first", "last", "overall"];

/**
 * Runs the backlog of `n` jobs on each engine, asyncmq then its peers, and prints one row per run and
 * under each peer's row the ratios asyncmq/peer of the rates; sets the exit code when a run failed.
 */
export async function backlogTable(n) {
  const window = Math.floor(n / 10);
  const env = { ...process.env, DATABASE_URL: await ensureDatabase() };
  const peers = chosenPeers(PEERS);
  const args = ["backlog", n, CONCURRENCY, window];
  const ours = (engine, extra = {}) =>
    spawnJson(here("../one.js"), [engine, ...args], { ...env, ...extra }, TIMEOUT_MS);
  const theirs = (peer) => spawnJson(here(`./${peer}.js`), ["tuned", ...args], env, TIMEOUT_MS);

  console.log(
    `backlog of ${fmt(n)} no-op jobs, concurrency ${CONCURRENCY}, first/last ${fmt(window)} jobs started, node ${process.version}, ${new Date().toISOString()}`,
  );
  console.log(`redis ${env.REDIS_URL ?? "redis://127.0.0.1:6379"}, postgres ${env.DATABASE_URL}`);
  const widths = [8, 34, 15, 15, 15, 15, 10, 15];
  const line = (cells) =>
    console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" "));
  line([
    "engine",
    "",
    "insert (jobs/s)",
    "first 10%",
    "last 10%",
    "overall",
    "last/first",
    "storage per job",
  ]);
  const failures = [];
  const settings = [];
  const show = (engine, who, r) => {
    if (r.error) {
      failures.push(`${engine} ${who}: ${r.error}`);
      line([engine, who, "FAILED", "", "", "", "", ""]);
    } else {
      const cells = RATES.map((k) => fmt(r[k]));
      line([engine, who, ...cells, fmt(r.last / r.first, 2), `${fmt(r.bytesPerJob)} B`]);
    }
    return r;
  };

  for (const engine of ENGINES) {
    const onEngine = peers.filter((p) => p.engine === engine);
    const plain = show(
      engine,
      onEngine.some((p) => p.ours) ? "asyncmq (jobs kept)" : "asyncmq",
      await ours(engine),
    );
    for (const { peer, ours: extra, label } of onEngine) {
      const a = extra ? show(engine, `asyncmq (${label})`, await ours(engine, extra)) : plain;
      const b = show(engine, `${peer} (tuned${label ? `, ${label}` : ""})`, await theirs(peer));
      if (b.settings) settings.push(`${peer}: ${b.settings}`);
      if (!a.error && !b.error)
        line(["", `asyncmq/${peer}`, ...RATES.map((k) => fmt(a[k] / b[k], 2)), "", "", ""]);
    }
  }

  console.log(
    "\nrates in jobs/s; ratios: asyncmq/peer, > 1: asyncmq faster. last/first < 1: slower near the end of the backlog.",
  );
  console.log(
    "storage per job: what the insert added (SQLite: the file and its WAL; Redis: the server's used_memory; Postgres: the schema's tables with indexes and TOAST).",
  );
  if (settings.length) console.log("peer settings, as reported by each driver:");
  for (const s of settings) console.log(`  ${s}`);
  if (failures.length) {
    console.log(`\n${failures.length} run(s) FAILED (the errors are on stderr above):`);
    for (const f of failures) console.log(`  ${f}`);
    process.exitCode = 1;
  }
}
