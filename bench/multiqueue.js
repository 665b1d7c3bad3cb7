// One multi-queue runtime against one queue: `n` no-op jobs spread over `busy` queues, beside `empty`
// queues that get none, all served by one runWorker at `concurrency`. Returns jobs/s and how often
// the runtime claimed from the empty queues (event-driven: about once per idle fallback, not a spin),
// and this process's CPU time per job (steadier than jobs/s on a shared machine).
import { performance } from "node:perf_hooks";
import { Queue, runWorker, task } from "asyncmq";
import { finished, retention, uniq } from "./measure.js";

/** A view of `backend` that counts its claim calls per queue. */
function countingClaims(backend, claims) {
  return new Proxy(backend, {
    get(target, prop, receiver) {
      if (prop === "claim" || prop === "finish") {
        return (queue, ...args) => {
          const key = `${String(prop)} ${queue}`;
          claims.set(key, (claims.get(key) ?? 0) + 1);
          return target[prop](queue, ...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Returns { jobsPerSec, emptyClaimsPerSec, cpuMicrosPerJob } (the second: claims on each empty
 * queue, per second).
 */
export async function multiQueue(backend, n, concurrency, busy, empty) {
  const names = Array.from({ length: busy + empty }, (_, i) => uniq(`mq${i}`));
  const queues = names.map((name) => new Queue(name, { backend }));
  const each = Math.ceil(n / busy);
  let seen = 0;
  let allSeen;
  const all = new Promise((r) => {
    allSeen = r;
  });
  for (const name of names.slice(0, busy)) {
    task(`${name}-noop`, { queue: name, ...retention }, () => {
      if (++seen === each * busy) allSeen();
    });
  }
  for (const [i, queue] of queues.slice(0, busy).entries()) {
    for (let k = 0; k < each; k += 10_000) {
      const jobs = Array.from({ length: Math.min(10_000, each - k) }, () => ({ task: `${names[i]}-noop` }));
      await queue.addBulk(jobs);
    }
  }
  const claims = new Map();
  const controller = new AbortController();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const run = runWorker(names.length === 1 ? names[0] : names, {
    backend: countingClaims(backend, claims),
    concurrency,
    signal: controller.signal,
  });
  await all;
  for (const queue of queues.slice(0, busy)) {
    while (!finished(each, await queue.getJobCounts())) await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  controller.abort();
  await run;
  for (const queue of queues) await queue.obliterate({ force: true });
  const calls = (what, list) => list.reduce((sum, name) => sum + (claims.get(`${what} ${name}`) ?? 0), 0);
  const emptyClaims = calls("claim", names.slice(busy));
  return {
    jobsPerSec: (each * busy) / seconds,
    emptyClaimsPerSec: empty ? emptyClaims / empty / seconds : 0,
    cpuMicrosPerJob: (cpu.user + cpu.system) / (each * busy),
    jobsPerClaim: (each * busy) / calls("claim", names.slice(0, busy)),
    jobsPerFinish: (each * busy) / calls("finish", names.slice(0, busy)),
  };
}
