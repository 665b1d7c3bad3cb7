/**
 * Batches the end of attempts: every `finish` made in one turn of the event loop for a queue goes to
 * the backend as one call (one transaction / script), which is what makes durable backends fast.
 * Each runtime owns one (handleJob a short-lived one), so nothing outlives the runtime.
 */
import type { Backend, Finish } from "../backends/backend.js";

interface Pending {
  items: Finish[];
  /** One promise per batch, shared by its items: no promise or resolver object per job. */
  done: Promise<boolean[]>;
  resolve: (results: boolean[]) => void;
  reject: (err: unknown) => void;
}

export class Finisher {
  readonly #pending = new Map<string, Pending>();
  #scheduled = false;

  constructor(private readonly backend: Pick<Backend, "finish">) {}

  /** Ends one attempt with the others of this turn; resolves to whether the lease still held. */
  async finish(queue: string, item: Finish): Promise<boolean> {
    let batch = this.#pending.get(queue);
    if (!batch) {
      let resolve!: (results: boolean[]) => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<boolean[]>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { items: [], done, resolve, reject };
      this.#pending.set(queue, batch);
    }
    const index = batch.items.push(item) - 1;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return (await batch.done)[index] === true;
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending.entries()];
    this.#pending.clear();
    for (const [queue, batch] of batches) {
      this.backend.finish(queue, batch.items, Date.now()).then(batch.resolve, batch.reject);
    }
  }
}
