// What idle workers cost (issue 14): `--procs` worker processes (default 20) x `--queues` runtimes
// each (default 10, one per queue, the same queues in every process), no job anywhere, measured
// over `--seconds` (default 60) after `--warmup` seconds (default 10), on a PRIVATE redis-server
// and a PRIVATE Postgres cluster (started here on free loopback ports, stopped and deleted after),
// so that nothing else is counted:
//   Redis:    commands/s, the delta of `INFO commandstats` (every command, those run by scripts too);
//   Postgres: statements/s, the delta of pg_stat_statements' calls (BEGIN/COMMIT included), and
//             transactions/s (pg_stat_database xact_commit + xact_rollback);
//   CPU of the worker processes (process.cpuUsage, summed), in % of one core.
// Each asyncmq build given is measured in turn, in one run: `--before <dist>` (e.g. a build of main)
// and `--after <dist>` (default: this checkout's dist/, `npm run build` first).
// Usage: node bench/idle-cost.js [redis] [postgres] [--before DIST] [--after DIST] [--seconds S]
//        [--warmup S] [--procs N] [--queues Q] [--multi | --after-multi] [--detail]
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args.splice(at, 2)[1];
};
// --detail: also the busiest commands (Redis) or statements (Postgres), per second.
const detail = args.includes("--detail");
if (detail) args.splice(args.indexOf("--detail"), 1);
// --multi: each process runs one runtime over all its queues (runWorker([...])) instead of one per queue.
// --after-multi: only the after build does (as `asyncmq worker start a b c` runs them now), the
// before build one per queue (its only way).
const multi = args.includes("--multi");
if (multi) args.splice(args.indexOf("--multi"), 1);
const afterMulti = args.includes("--after-multi");
if (afterMulti) args.splice(args.indexOf("--after-multi"), 1);
const seconds = Number(option("--seconds", 60));
const warmup = Number(option("--warmup", 10));
const procs = Number(option("--procs", 20));
const queues = Number(option("--queues", 10));
const builds = [];
const before = option("--before", undefined);
if (before !== undefined) builds.push(["before", before, multi]);
builds.push([
  "after",
  option("--after", fileURLToPath(new URL("../dist", import.meta.url))),
  multi || afterMulti,
]);
const kinds = args.length > 0 ? args : ["redis", "postgres"];
const worker = fileURLToPath(new URL("./idle-worker.js", import.meta.url));
const PG_BIN = "/usr/lib/postgresql/15/bin";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  return port;
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on("error", () => {}); // not up yet: tried again below
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      break;
    } catch {
      r.disconnect();
      if (i > 100) throw new Error("redis-server did not start");
      await sleep(50);
    }
  }
  return { url, stop: () => proc.kill("SIGTERM") };
}

/** initdb as user postgres in a temp dir, started with room for every worker's connections. */
async function startPostgres() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-pgidle-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const asPg = (cmd, cmdArgs) =>
    execFileSync("runuser", ["-u", "postgres", "--", join(PG_BIN, cmd), ...cmdArgs], { stdio: "ignore" });
  asPg("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_preload_libraries=pg_stat_statements -c fsync=off`;
  asPg("pg_ctl", ["-D", data, "-o", opts, "-w", "start"]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("CREATE EXTENSION pg_stat_statements");
  await client.end();
  return {
    url,
    stop: () => {
      asPg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's counters now: Redis commands; Postgres statements and transactions. */
async function counters(kind, url) {
  if (kind === "redis") {
    const r = new Redis(url);
    const info = await r.info("commandstats");
    r.disconnect();
    let calls = 0;
    const each = {};
    for (const [, name, n] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (name === "info") continue;
      calls += Number(n);
      each[name] = Number(n);
    }
    return { ops: calls, each };
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const s = await c.query(
    "SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'",
  );
  const x = await c.query(
    "SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  const each = {};
  const all = await c.query(
    "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS q, sum(calls)::bigint AS n FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' GROUP BY 1",
  );
  for (const row of all.rows) each[row.q] = Number(row.n);
  await c.end();
  return { ops: Number(s.rows[0].n), xacts: Number(x.rows[0].n), each };
}

/** Starts the worker processes of one build and returns a handle to read their CPU and stop them. */
async function startWorkers(dist, kind, url, ns, multi) {
  const children = [];
  for (let i = 0; i < procs; i++) {
    const child = spawn(
      process.execPath,
      [worker, dist, kind, url, ns, String(queues), multi ? "multi" : "each"],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const lines = createInterface({ input: child.stdout });
    const next = () => new Promise((resolve) => lines.once("line", resolve));
    children.push({ child, next });
    // One at a time at first, so that the first one migrates the schema alone.
    if (i === 0) await next();
    else children[i].ready = next();
  }
  await Promise.all(children.map((c) => c.ready));
  return {
    async cpu() {
      const reads = children.map(async (c) => {
        const line = c.next();
        c.child.stdin.write("cpu\n");
        return JSON.parse(await line).cpu;
      });
      return (await Promise.all(reads)).reduce((a, b) => a + b, 0);
    },
    async stop() {
      await Promise.all(
        children.map((c) => {
          c.child.stdin.write("stop\n");
          return once(c.child, "exit");
        }),
      );
    },
  };
}

async function measure(kind, url, label, dist, multi) {
  const ns = `idle_${label}_${Math.random().toString(36).slice(2, 8)}`;
  const workers = await startWorkers(dist, kind, url, ns, multi);
  try {
    await sleep(warmup * 1000);
    const c0 = await counters(kind, url);
    const cpu0 = await workers.cpu();
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const c1 = await counters(kind, url);
    const cpu1 = await workers.cpu();
    const s = (Date.now() - t0) / 1000;
    const out = { ops: (c1.ops - c0.ops) / s, cpu: ((cpu1 - cpu0) / 1e6 / s) * 100 };
    if (detail) {
      const rates = Object.entries(c1.each).map(([k, n]) => [k, (n - (c0.each[k] ?? 0)) / s]);
      out.top = rates.sort((a, b) => b[1] - a[1]).slice(0, 12);
    }
    if (c0.xacts !== undefined) out.xacts = (c1.xacts - c0.xacts) / s;
    return out;
  } finally {
    await workers.stop();
  }
}

const fmt = (n, d = 1) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  `idle cost: ${procs} worker processes x ${queues} queues (${multi ? "one runWorker over all the queues" : afterMulti ? "before: one runWorker per queue; after: one over all the queues" : "one runWorker per queue"}), nothing to do, ${seconds} s after ${warmup} s of warm-up, node ${process.version}`,
);
for (const kind of kinds) {
  const server = kind === "redis" ? await startRedis() : await startPostgres();
  try {
    const results = {};
    for (const [label, dist, oneRuntime] of builds) {
      const r = await measure(kind, server.url, label, dist, oneRuntime);
      results[label] = r;
      const unit = kind === "redis" ? "Redis commands/s" : "Postgres statements/s";
      const xacts = r.xacts === undefined ? "" : `, transactions/s ${fmt(r.xacts)}`;
      console.log(
        `${kind.padEnd(8)} ${label.padEnd(6)} ${unit} ${fmt(r.ops)}${xacts}, worker CPU ${fmt(r.cpu, 2)}% of a core`,
      );
      for (const [what, rate] of r.top ?? []) console.log(`           ${fmt(rate).padStart(8)}/s  ${what}`);
    }
    if (results.before && results.after) {
      const ratio = (k) => fmt(results.before[k] / results.after[k], 1);
      const x = results.after.xacts === undefined ? "" : `, transactions ${ratio("xacts")}x`;
      console.log(
        `${kind.padEnd(8)} before/after: ${kind === "redis" ? "commands" : "statements"} ${ratio("ops")}x${x}, CPU ${ratio("cpu")}x`,
      );
    }
  } finally {
    server.stop();
  }
}
