// `npm run bench`: side-by-side numbers for asyncmq's backends on this machine.
// Usage: node bench/run.js [memory|sqlite ...]   (default: all)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryBackend, SqliteBackend } from "asyncmq";
import { bulkInsert, delayedLateness, idleCpu, latency, throughput } from "./measure.js";

const wanted = process.argv.slice(2);
const want = (name) => wanted.length === 0 || wanted.includes(name);
const fmt = (n, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rows = [];
const row = (backend, metric, value, target) => {
  rows.push({ backend, metric, value, target });
  console.log(`${backend.padEnd(8)} ${metric.padEnd(40)} ${value.padStart(14)}   ${target}`);
};

async function suite(label, make, targets) {
  const backend = make();
  try {
    row(label, "bulk insert (jobs/s)", fmt(await bulkInsert(backend, 100_000)), targets.bulk);
    for (const c of [1, 50, 100]) {
      const n = c === 1 ? targets.n1 : targets.n;
      row(
        label,
        `throughput, no-op, concurrency ${c} (jobs/s)`,
        fmt(await throughput(backend, n, c)),
        c === 50 ? targets.tp50 : "",
      );
    }
    const lat = await latency(backend, 300);
    row(label, "enqueue-to-start p50 / p99 (ms)", `${fmt(lat.p50, 2)} / ${fmt(lat.p99, 2)}`, targets.lat);
    const late = await delayedLateness(backend, 300, 1000);
    row(label, "delayed lateness p50 / p99 (ms)", `${fmt(late.p50, 1)} / ${fmt(late.p99, 1)}`, targets.late);
    row(label, "idle CPU, concurrency 50 (% of a core)", fmt(await idleCpu(backend, 1000), 2), "near 0");
  } finally {
    await backend.close();
  }
}

console.log(`asyncmq bench on node ${process.version}, ${new Date().toISOString()}`);
console.log(`${"backend".padEnd(8)} ${"metric".padEnd(40)} ${"value".padStart(14)}   target`);
if (want("memory")) {
  await suite("memory", () => new InMemoryBackend(), {
    bulk: "",
    n: 200_000,
    n1: 50_000,
    tp50: ">= 100,000",
    lat: "p50 < 1",
    late: "p99 < 10",
  });
}
if (want("sqlite")) {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
  try {
    await suite("sqlite", () => new SqliteBackend({ path: join(dir, "bench.db") }), {
      bulk: ">= 100,000",
      n: 50_000,
      n1: 10_000,
      tp50: ">= 15,000",
      lat: "p50 < 2",
      late: "",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
