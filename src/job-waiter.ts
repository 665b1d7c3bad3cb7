/**
 * `queue.waitFor`: settles when a job ends, from the queue's events (every process sharing the
 * backend), with one listener per event name however many jobs are awaited. The job is also re-read
 * a few times as a backstop: a finish between subscribing and the first read (the subscription may
 * not be live yet), a message lost while the engine was unreachable, or a job removed meanwhile.
 */
import { JobFailedError, JobNotFoundError, WaitTimeoutError } from "./errors.js";
import type { JobEventName, JobEventPayload } from "./events.js";
import type { JobRecord } from "./job.js";
import type { QueueEvents } from "./queue-events.js";
import { type LongTimer, setLongTimeout } from "./worker/timer.js";

/** The events that end a job, and how each ends a wait. */
const ENDINGS = ["job:completed", "job:failed", "job:expired", "job:cancelled"] as const;

/** When the backstop re-reads the job, in ms after the wait began; then every `RECHECK_EVERY_MS`. */
const RECHECKS_MS = [250, 1000, 5000];
const RECHECK_EVERY_MS = 15_000;
/**
 * How long a job the caller just added may be missing before the wait gives up on its ending event
 * (the event was lost, or the job was removed by someone else).
 */
const GONE_GRACE_MS = 4000;

type Ending = { ok: true; result: unknown } | { ok: false; error: Error };

interface Waiter {
  settle(ending: Ending): void;
}

export class JobWaiters {
  readonly #waiters = new Map<string, Set<Waiter>>();
  #listeners: Array<[JobEventName, (p: JobEventPayload) => void]> | null = null;
  #holds = 0;
  /** Endings heard while held, of jobs no one waits for yet: the job a caller is adding may end first. */
  readonly #heard = new Map<string, Ending>();

  constructor(
    private readonly queue: string,
    private readonly events: QueueEvents,
    private readonly read: (id: string) => Promise<JobRecord | null>,
  ) {}

  /**
   * Resolves with job `id`'s result once it completes; rejects with JobFailedError when it fails,
   * expires or is cancelled, JobNotFoundError when there is no such job (or it is removed), and
   * WaitTimeoutError after `timeoutMs` (undefined: no limit). `added`: the caller just added the
   * job, so a first read that finds nothing means it already ended and was removed (removeOnComplete):
   * its event, not that read, settles the wait.
   */
  wait(id: string, timeoutMs: number | undefined, added = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timers: LongTimer[] = [];
      const waiter: Waiter = {
        settle: (ending) => {
          this.#remove(id, waiter);
          for (const t of timers) t.clear();
          if (ending.ok) resolve(ending.result);
          else reject(ending.error);
        },
      };
      const fail = (error: Error) => waiter.settle({ ok: false, error });
      const pending = () => this.#waiters.get(id)?.has(waiter) === true;
      this.#add(id, waiter);
      const heard = this.#heard.get(id);
      if (heard !== undefined) {
        waiter.settle(heard);
        return;
      }
      let goneSince: number | undefined;
      const check = async () => {
        try {
          const job = await this.read(id);
          if (!pending()) return;
          if (job === null) {
            // A job just added that is gone ended and was removed (removeOnComplete): its event,
            // which may come after this read (another connection, another node), settles the wait.
            goneSince ??= Date.now();
            if (!added || Date.now() - goneSince >= GONE_GRACE_MS)
              fail(
                new JobNotFoundError(`queue "${this.queue}" has no job "${id}" (never added, or removed)`),
              );
            return;
          }
          const ending = endingOf(job);
          if (ending) waiter.settle(ending);
        } catch (err) {
          fail(err as Error);
        }
      };
      void check();
      let at = 0;
      const recheck = (i: number) => {
        const due = RECHECKS_MS[i] ?? at + RECHECK_EVERY_MS;
        timers.push(
          setLongTimeout(() => {
            at = due;
            void check().then(() => {
              if (pending()) recheck(i + 1);
            });
          }, due - at),
        );
      };
      recheck(0);
      if (timeoutMs === undefined) return;
      timers.push(
        setLongTimeout(() => {
          void this.read(id).then(
            (job) =>
              fail(
                new WaitTimeoutError(
                  id,
                  `job "${id}" of queue "${this.queue}" did not finish within ${timeoutMs} ms (it is ${job?.state ?? "gone"}); the job itself goes on`,
                ),
              ),
            fail,
          );
        }, timeoutMs),
      );
    });
  }

  /**
   * Listens for job endings until the returned function is called, and keeps those of jobs no one
   * waits for yet, so a job that ends before its `wait` is called (its event can come before the
   * reply to its add) is not missed. Release it once the `wait` is made.
   */
  hold(): () => void {
    this.#holds++;
    this.#attach();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holds--;
      if (this.#holds === 0) this.#heard.clear();
      this.#detachIfIdle();
    };
  }

  /** Rejects every wait in progress (the queue is closing). */
  abortAll(reason: Error): void {
    for (const set of [...this.#waiters.values()]) {
      for (const w of [...set]) w.settle({ ok: false, error: reason });
    }
  }

  #add(id: string, waiter: Waiter): void {
    let set = this.#waiters.get(id);
    if (!set) {
      set = new Set();
      this.#waiters.set(id, set);
    }
    set.add(waiter);
    this.#attach();
  }

  #attach(): void {
    if (this.#listeners) return;
    this.#listeners = ENDINGS.map((name) => {
      const listener = (p: JobEventPayload) => {
        if (p.jobId === undefined) return;
        const set = this.#waiters.get(p.jobId);
        const ending = endingOfEvent(name, p);
        if (set) for (const w of [...set]) w.settle(ending);
        else if (this.#holds > 0) this.#heard.set(p.jobId, ending);
      };
      this.events.on(name, listener);
      return [name, listener];
    });
  }

  #remove(id: string, waiter: Waiter): void {
    const set = this.#waiters.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.#waiters.delete(id);
    this.#detachIfIdle();
  }

  #detachIfIdle(): void {
    if (this.#waiters.size > 0 || this.#holds > 0 || !this.#listeners) return;
    for (const [name, listener] of this.#listeners) this.events.off(name, listener);
    this.#listeners = null;
  }
}

/** How a finished job ends a wait; undefined while it is unfinished. */
function endingOf(job: JobRecord): Ending | undefined {
  switch (job.state) {
    case "completed":
      return { ok: true, result: job.result };
    case "failed":
    case "expired":
    case "cancelled":
      return {
        ok: false,
        error: new JobFailedError(job.id, job.state, job.error ?? madeUpError(job.id, job.state)),
      };
    default:
      return undefined;
  }
}

function endingOfEvent(name: (typeof ENDINGS)[number], p: JobEventPayload): Ending {
  const id = p.jobId as string;
  if (name === "job:completed") return { ok: true, result: p.result };
  const state = name === "job:failed" ? "failed" : name === "job:expired" ? "expired" : "cancelled";
  return { ok: false, error: new JobFailedError(id, state, p.error ?? madeUpError(id, state)) };
}

/** The error of a job that ended without one (an expired or cancelled job stores none). */
function madeUpError(id: string, state: "failed" | "expired" | "cancelled") {
  const why = state === "expired" ? "expired before it started (its ttl passed)" : `was ${state}`;
  return { name: "JobFailedError", message: `job "${id}" ${why}` };
}
