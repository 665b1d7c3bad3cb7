// Where a processed job's CPU goes: the Node process's and the engine's, a job, over the processing
// alone (bench/measure.js's throughput, between the worker's start and its last job). Usage:
//   node bench/cpu-split.js <redis|postgres> [jobs = 100000] [concurrency = 50]
// with BENCH_PREFETCH / BENCH_REMOVE_ON_COMPLETE as for bench/one.js. Redis's CPU is its INFO cpu
// (any server); PostgreSQL's that of the local processes named "postgres" (bench/engine-cpu.js), so
// it needs the server on this machine, and counts whatever else that server does meanwhile.
// Prints { jobsPerSecond, nodeUsPerJob, engineUsPerJob }.
import { analyzeSchema } from "./analyze.js";
import { postgresCpuSeconds, redisCpuSeconds } from "./engine-cpu.js";
import { throughput } from "./measure.js";
import { benchScope } from "./scope.js";

const [kind, jobs = "100000", concurrency = "50"] = process.argv.slice(2);
if (kind !== "redis" && kind !== "postgres")
  throw new Error(`usage: node bench/cpu-split.js <redis|postgres> [jobs] [concurrency]`);
const { tag, server, backend, end } = benchScope(kind);

/** Seconds of CPU the engine has used so far. */
const engineSeconds = async () => (kind === "redis" ? redisCpuSeconds(server) : postgresCpuSeconds());

const n = Number(jobs);
const at = {};
try {
  const loaded = kind === "postgres" ? () => analyzeSchema(server, tag) : undefined;
  const clock = {
    started: async () => {
      at.engine = await engineSeconds();
      at.node = process.cpuUsage();
    },
    stopped: async () => {
      const node = process.cpuUsage(at.node);
      at.nodeUs = (node.user + node.system) / n;
      at.engineUs = (((await engineSeconds()) - at.engine) * 1e6) / n;
    },
  };
  const rate = await throughput(backend, n, Number(concurrency), loaded, clock);
  const round = (x) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      jobsPerSecond: Math.round(rate),
      nodeUsPerJob: round(at.nodeUs),
      engineUsPerJob: round(at.engineUs),
    }),
  );
} finally {
  await end();
}
