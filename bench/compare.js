// Side by side: this checkout against another one (an older commit, built), in one run.
// Usage: node bench/compare.js <other-checkout-dir> [rounds=3] [memory|sqlite|redis|postgres ...]
// Each measurement runs in a fresh process, alternating other/this, `rounds` times; the table shows
// the median of each and their ratio (this / other; for times, other / this), so above 1 means this
// checkout is better. Both checkouts must be built (`npm run build`) and use the same servers.
// A machine-wide slowdown hits both sides alike, which is why the two alternate.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [otherDir, roundsArg, ...kindsArg] = process.argv.slice(2);
if (!otherDir) {
  console.error("usage: node bench/compare.js <other-checkout-dir> [rounds] [backends...]");
  process.exit(2);
}
const rounds = Number(roundsArg ?? 3);
const kinds = kindsArg.length > 0 ? kindsArg : ["memory", "sqlite", "redis", "postgres"];
const sides = {
  other: resolve(otherDir, "bench/one.js"),
  this: fileURLToPath(new URL("./one.js", import.meta.url)),
};

/** Per backend: [label, metric, args, how to read the result, higher is better]. */
const sizes = {
  memory: [200_000, 50_000],
  sqlite: [50_000, 10_000],
  redis: [50_000, 5_000],
  postgres: [20_000, 2_000],
};
function plan(kind) {
  const [n, n1] = sizes[kind];
  const rows = [
    ["bulk insert 100k (jobs/s)", "bulkInsert", [100_000], (r) => r, true],
    ["throughput c1 (jobs/s)", "throughput", [n1, 1], (r) => r, true],
    ["throughput c50 (jobs/s)", "throughput", [n, 50], (r) => r, true],
    ["throughput c100 (jobs/s)", "throughput", [n, 100], (r) => r, true],
    ["enqueue-to-start p50 (ms)", "latency", [300], (r) => r.p50, false],
    ["enqueue-to-start p99 (ms)", "latency", [300], (r) => r.p99, false],
    ["delayed lateness p99 (ms)", "delayedLateness", [300, 1000], (r) => r.p99, false],
    ["idle CPU c50 (% core)", "idleCpu", [2000], (r) => r, false],
  ];
  if (kind !== "memory") {
    rows.push(["cross-process p50 (ms)", "crossProcessLatency", [200], (r) => r.p50, false]);
  }
  return rows;
}

function measure(script, kind, metric, args) {
  const out = execFileSync(process.execPath, [script, kind, metric, ...args.map(String)], {
    encoding: "utf8",
    env: process.env,
  });
  return JSON.parse(out.trim().split("\n").at(-1));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));

console.log(
  `this: ${process.cwd()}  other: ${resolve(otherDir)}  rounds: ${rounds}  ${new Date().toISOString()}`,
);
console.log(
  `${"backend".padEnd(9)}${"metric".padEnd(30)}${"other".padStart(12)}${"this".padStart(12)}${"ratio".padStart(8)}`,
);
for (const kind of kinds) {
  // Metrics that share a measurement (p50/p99 of one latency run) are measured once per round.
  const cache = new Map();
  for (const [label, metric, args, read, higherBetter] of plan(kind)) {
    const key = `${metric}:${args.join(",")}`;
    if (!cache.has(key)) {
      const results = { other: [], this: [] };
      for (let i = 0; i < rounds; i++) {
        for (const side of ["other", "this"]) results[side].push(measure(sides[side], kind, metric, args));
      }
      cache.set(key, results);
    }
    const results = cache.get(key);
    const o = median(results.other.map(read));
    const t = median(results.this.map(read));
    const ratio = higherBetter ? t / o : o / t;
    console.log(
      `${kind.padEnd(9)}${label.padEnd(30)}${fmt(o).padStart(12)}${fmt(t).padStart(12)}${ratio.toFixed(2).padStart(8)}`,
    );
  }
}
