// One worker process of bench/idle-cost.js: `queues` runWorker runtimes (one per queue), or with
// "multi" one runtime over all of them, on one backend, built from the asyncmq dist at `dist`.
// Prints "ready" once started; on stdin, "cpu" prints its CPU time so far (µs, user + system) and
// "stop" stops the runtimes and exits.
// Usage: node bench/idle-worker.js <dist> <redis|postgres> <url> <prefix or schema> <queues> [multi]
import { setMaxListeners } from "node:events";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const [dist, kind, url, ns, queues, mode] = process.argv.slice(2);
const { configure, PostgresBackend, RedisBackend, runWorker } = await import(
  pathToFileURL(join(resolve(dist), "index.js")).href
);
// Errors only: 20 processes starting on a loaded machine log connect timeouts that they retry.
configure({ logger: { debug() {}, info() {}, warn() {}, error: console.error } });
const backend =
  kind === "redis"
    ? new RedisBackend({ url, prefix: ns })
    : new PostgresBackend({ url, schema: ns, poolSize: 4 });
const ctl = new AbortController();
setMaxListeners(0, ctl.signal); // one abort listener per runtime: more than Node's default of 10
const names = Array.from({ length: Number(queues) }, (_, i) => `idle-${i}`);
// "multi": one runtime over all the queues (a build with multi-queue workers); else one per queue.
const runs =
  mode === "multi"
    ? [runWorker(names, { backend, signal: ctl.signal, concurrency: 5 })]
    : names.map((name) => runWorker(name, { backend, signal: ctl.signal, concurrency: 5 }));
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "cpu") {
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ cpu: user + system }));
  } else if (line === "stop") {
    ctl.abort();
    await Promise.all(runs);
    await backend.close();
    process.exit(0);
  }
}
