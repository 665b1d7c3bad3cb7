/**
 * Batches the end of attempts: every `finish` made in one turn of the event loop for a queue goes to
 * the backend as one call (one transaction / script), which is what makes durable backends fast.
 * Each runtime owns one (handleJob a short-lived one), so nothing outlives the runtime. It is where
 * the runtime learns which finishes held, so it hands each answered batch to the metrics recorder.
 *
 * A batch that fails (the backend down for a moment) is not the end: each of its attempts is tried
 * again with backoff while its lease holds, so a short outage costs a delay, not a second run. The
 * retries of one failed batch share one timer, so they wake in one turn and go out as one batch
 * again (a timer each could fire in different turns on a loaded machine and split it). Past the
 * lease, the attempt is given up: the stall sweeper hands the job back, as it would for a dead worker.
 */
import type { Backend, ClaimOptions, Finish } from "../backends/backend.js";
import { isFatal } from "../errors.js";
import type { ClaimedJob } from "../job.js";
import { OutageLog } from "../logger.js";
import type { AttemptTimes, MetricsRecorder } from "./metrics-recorder.js";
import { orAbort, sleep } from "./wait.js";

/** First wait before a failed finish is tried again (ms); it doubles up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 50;
/** Longest wait between two tries of a failed finish (ms). */
export const RETRY_MAX_MS = 1000;

/** The attempt's lease, as the runtime knows it: what bounds the retries of its finish. */
export interface FinishLease {
  /** When the lease expires (epoch ms), moved on by renewals. */
  readonly leaseUntil: number;
  /** Set once the attempt is given up elsewhere (lease lost, cancelled, shutdown grace over). */
  readonly dropped: boolean;
  /** Aborts when `dropped` is set. */
  readonly dropSignal: AbortSignal;
}

/**
 * A claim loop that takes the slots its ended jobs free: a flush of its queue's batch claims with
 * the finish, in one backend call (`Backend.finishAndClaim`), when it asks to.
 */
export interface Refill {
  /** The claim to make with a batch of `n` ended attempts, or null (not now: claim apart). */
  want(n: number): ClaimOptions | null;
  /**
   * The jobs claimed for `want`'s claim (null: the call failed, nothing was claimed); called
   * before the batch's finishes resolve, so the slots they free can go to these jobs.
   */
  adopt(jobs: ClaimedJob[] | null, asked: number): void;
}

/** A batch's failure: its error, and the one wake-up its items' retries share. */
interface Failure {
  error: unknown;
  wake?: Promise<void>;
}

/** A batch's answer: the results, or the failure. */
type Answer = boolean[] | Failure;

interface Pending {
  items: Finish[];
  /** The job of each item, for the recorder's wait and run times. */
  jobs: Array<AttemptTimes | undefined>;
  /** One promise per batch, shared by its items: no promise or resolver object per job. */
  done: Promise<Answer>;
  resolve: (answer: Answer) => void;
}

export class Finisher {
  readonly #pending = new Map<string, Pending>();
  #scheduled = false;
  /** Per queue: a failing queue's outage is logged once, whatever the others do. */
  readonly #outages = new Map<string, OutageLog>();
  readonly #refills = new Map<string, Refill>();

  /**
   * @param recorder observes each answered batch; null or absent: no metrics.
   * @param flushAt a batch this large goes at once rather than at the end of the turn (a worker's
   *   prefetch: its held jobs run in one turn, and the ends written meanwhile keep the engine busy
   *   while it runs the rest). Default: at the end of the turn only.
   */
  constructor(
    private readonly backend: Pick<Backend, "finish" | "finishAndClaim">,
    private readonly recorder: MetricsRecorder | null = null,
    private readonly flushAt = Number.POSITIVE_INFINITY,
  ) {}

  /** Lets `queue`'s batches claim for `refill` (a backend without `finishAndClaim`: never). */
  refill(queue: string, refill: Refill): void {
    if (this.backend.finishAndClaim !== undefined) this.#refills.set(queue, refill);
  }

  /**
   * Ends one attempt with the others of this turn; resolves to whether the lease still held.
   * `job` is the attempt's claimed record, whose times the metrics recorder reads. With `lease`, a
   * failed write is tried again with backoff until it succeeds, `lease.leaseUntil` (as it was at the
   * first failure) passes, or the attempt is dropped; then it rejects with the last error.
   */
  async finish(queue: string, item: Finish, job?: AttemptTimes, lease?: FinishLease): Promise<boolean> {
    const answer = await this.#submit(queue, item, job);
    if (typeof answer === "boolean") return answer;
    if (lease === undefined) throw answer.error;
    return this.#retry(queue, item, job, lease, answer);
  }

  /** Adds one item to this turn's batch of `queue`; resolves to its result or the batch's failure. */
  async #submit(queue: string, item: Finish, job: AttemptTimes | undefined): Promise<boolean | Failure> {
    let batch = this.#pending.get(queue);
    if (!batch) {
      let resolve!: (answer: Answer) => void;
      const done = new Promise<Answer>((res) => {
        resolve = res;
      });
      batch = { items: [], jobs: [], done, resolve };
      this.#pending.set(queue, batch);
    }
    const index = batch.items.push(item) - 1;
    batch.jobs.push(job);
    if (batch.items.length >= this.flushAt) {
      this.#pending.delete(queue);
      this.#send(queue, batch);
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    const answer = await batch.done;
    return Array.isArray(answer) ? answer[index] === true : answer;
  }

  async #retry(
    queue: string,
    item: Finish,
    job: AttemptTimes | undefined,
    lease: FinishLease,
    failure: Failure,
  ): Promise<boolean> {
    // The deadline stays the lease as it was at the first failure: renewals that work while the
    // finish keeps failing mean the finish itself fails, which more retries would not mend.
    const deadline = lease.leaseUntil;
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      const wait = Math.min(delay, deadline - Date.now());
      // A broken backend (a corrupt SQLite file) will not answer later either.
      if (wait <= 0 || lease.dropped || isFatal(failure.error)) throw failure.error;
      failure.wake ??= sleep(wait);
      await orAbort(failure.wake, lease.dropSignal);
      if (lease.dropped) throw failure.error;
      const answer = await this.#submit(queue, item, job);
      if (typeof answer === "boolean") return answer;
      failure = answer;
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending.entries()];
    this.#pending.clear();
    for (const [queue, batch] of batches) this.#send(queue, batch);
  }

  /** Writes one batch and answers its items. */
  #send(queue: string, batch: Pending): void {
    const now = Date.now();
    this.#write(queue, batch.items, now).then(
      (held) => {
        this.#outages.get(queue)?.succeeded();
        batch.resolve(held);
        this.recorder?.finished(queue, batch.items, batch.jobs, held, now);
      },
      (error: unknown) => {
        let outage = this.#outages.get(queue);
        if (outage === undefined) {
          outage = new OutageLog(`recording the end of jobs of queue "${queue}"`, { queue });
          this.#outages.set(queue, outage);
        }
        outage.failed(error, "with backoff while each job's lease holds");
        batch.resolve({ error });
      },
    );
  }

  /** Ends `items`, claiming for the queue's refill with them when it asks. */
  #write(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    const refill = this.#refills.get(queue);
    const combined = this.backend.finishAndClaim;
    // want() counts a claim in flight until adopt(): ask only when the call will be made.
    const claim = refill === undefined || combined === undefined ? null : refill.want(items.length);
    if (refill === undefined || claim === null || combined === undefined)
      return this.backend.finish(queue, items, now);
    return combined.call(this.backend, queue, items, now, claim).then(
      ({ held, claimed }) => {
        refill.adopt(claimed, claim.limit);
        return held;
      },
      (error: unknown) => {
        refill.adopt(null, claim.limit);
        throw error;
      },
    );
  }
}
