/**
 * The parent's view of a run: the queue's counts, read every 100 ms through its own connection
 * (reads that fail or hang during an outage are skipped), kept as a time series.
 */
import type { JobState } from "../../../src/job.js";
import type { Queue } from "../../../src/queue.js";

export interface Sample {
  at: number;
  counts: Record<JobState, number>;
}

export class Progress {
  readonly samples: Sample[] = [];
  #stopped = false;
  #loop: Promise<void>;
  readonly #waiters = new Set<() => void>();

  constructor(readonly queue: Queue) {
    this.#loop = this.#run();
  }

  get last(): Sample | undefined {
    return this.samples.at(-1);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const counts = await withTimeout(this.queue.getJobCounts(), 2000);
        this.samples.push({ at: Date.now(), counts });
        for (const w of [...this.#waiters]) w();
      } catch {
        // The engine is down or the connection was killed: the next read tries again.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resolves once a sample satisfies `check`; rejects after `ms` with the last counts. */
  until(check: (s: Sample) => boolean, what: string, ms: number): Promise<Sample> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const s = this.last;
        if (s && check(s)) {
          clearTimeout(timer);
          this.#waiters.delete(attempt);
          resolve(s);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(attempt);
        reject(new Error(`${what}: not within ${ms} ms; last counts ${JSON.stringify(this.last?.counts)}`));
      }, ms);
      this.#waiters.add(attempt);
      attempt();
    });
  }

  /**
   * The first time after `from` at which more jobs had completed than any read before `from` saw
   * (after an outage: the first completion once the engine was back; accurate to one read, 100 ms).
   */
  resumedAfter(from: number): number | undefined {
    let before = 0;
    for (const s of this.samples) if (s.at <= from) before = Math.max(before, s.counts.completed);
    return this.samples.find((s) => s.at > from && s.counts.completed > before)?.at;
  }

  /** The longest time with no completion while jobs were still waiting or active. */
  longestStall(): number {
    let longest = 0;
    let since: Sample | undefined;
    for (const s of this.samples) {
      if (since === undefined || s.counts.completed > since.counts.completed) {
        since = s;
        continue;
      }
      if (s.counts.waiting + s.counts.active > 0) longest = Math.max(longest, s.at - since.at);
    }
    return longest;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), ms);
    }),
  ]);
}
