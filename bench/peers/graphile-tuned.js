// graphile-worker's tuned settings at a concurrency: the configuration its performance page reports
// its numbers with (https://worker.graphile.org/docs/performance), a local queue of 500 and
// completions batched at once, with maxPoolSize concurrency + 2 (at least 10, as worker.maxPoolSize
// advises). Shared by the peer driver (bench/peers/graphile-worker.js) and bench/pg-ceiling.js.
export const tuned = (concurrency) => ({
  maxPoolSize: Math.max(10, concurrency + 2),
  preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
});
