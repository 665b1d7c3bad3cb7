/**
 * Batches the end of attempts: every `finish` made in one turn of the event loop for a queue goes to
 * the backend as one call (one transaction / script), which is what makes durable backends fast.
 * Each runtime owns one (handleJob a short-lived one), so nothing outlives the runtime. It is where
 * the runtime learns which finishes held, so it hands each answered batch to the metrics recorder.
 */
import type { Backend, Finish } from "../backends/backend.js";
import type { AttemptTimes, MetricsRecorder } from "./metrics-recorder.js";

interface Pending {
  items: Finish[];
  /** The job of each item, for the recorder's wait and run times. */
  jobs: Array<AttemptTimes | undefined>;
  /** One promise per batch, shared by its items: no promise or resolver object per job. */
  done: Promise<boolean[]>;
  resolve: (results: boolean[]) => void;
  reject: (err: unknown) => void;
}

export class Finisher {
  readonly #pending = new Map<string, Pending>();
  #scheduled = false;

  /** @param recorder observes each answered batch; null or absent: no metrics. */
  constructor(
    private readonly backend: Pick<Backend, "finish">,
    private readonly recorder: MetricsRecorder | null = null,
  ) {}

  /**
   * Ends one attempt with the others of this turn; resolves to whether the lease still held.
   * `job` is the attempt's claimed record, whose times the metrics recorder reads.
   */
  async finish(queue: string, item: Finish, job?: AttemptTimes): Promise<boolean> {
    let batch = this.#pending.get(queue);
    if (!batch) {
      let resolve!: (results: boolean[]) => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<boolean[]>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { items: [], jobs: [], done, resolve, reject };
      this.#pending.set(queue, batch);
    }
    const index = batch.items.push(item) - 1;
    batch.jobs.push(job);
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
      const now = Date.now();
      this.backend.finish(queue, batch.items, now).then((held) => {
        batch.resolve(held);
        this.recorder?.finished(queue, batch.items, batch.jobs, held, now);
      }, batch.reject);
    }
  }
}
