/**
 * Batches the end of attempts: every `finish` made in one turn of the event loop for a queue goes to
 * the backend as one call (one transaction / script), which is what makes durable backends fast.
 */
import type { Backend, Finish } from "../backends/backend.js";

interface Pending {
  items: Finish[];
  resolvers: Array<{ resolve: (ok: boolean) => void; reject: (err: unknown) => void }>;
}

class Finisher {
  readonly #pending = new Map<string, Pending>();
  #scheduled = false;

  constructor(private readonly backend: Backend) {}

  finish(queue: string, item: Finish): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let batch = this.#pending.get(queue);
      if (!batch) {
        batch = { items: [], resolvers: [] };
        this.#pending.set(queue, batch);
      }
      batch.items.push(item);
      batch.resolvers.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [queue, batch] of batches) {
      this.backend.finish(queue, batch.items, Date.now()).then(
        (results) => {
          batch.resolvers.forEach((r, i) => {
            r.resolve(results[i] === true);
          });
        },
        (err) => {
          for (const r of batch.resolvers) r.reject(err);
        },
      );
    }
  }
}

const finishers = new WeakMap<Backend, Finisher>();

/** Ends one attempt through the batcher of `backend`; resolves to whether the lease still held. */
export function finishAttempt(backend: Backend, queue: string, item: Finish): Promise<boolean> {
  let finisher = finishers.get(backend);
  if (!finisher) {
    finisher = new Finisher(backend);
    finishers.set(backend, finisher);
  }
  return finisher.finish(queue, item);
}
