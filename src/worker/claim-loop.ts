/**
 * The claim loop: take a concurrency permit (and a rate token), claim as many jobs as there are free
 * permits in one backend call, run each through the job lifecycle, and sleep on the queue's wake-up
 * signal when there is nothing to do. Beside it runs the delayed scanner, the one place that
 * promotes delayed jobs; a promotion wakes the loop. On abort it stops claiming and drains.
 */
import { hostname } from "node:os";
import type { Backend, IdleClaimer } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { isFatal, JobCancelledError } from "../errors.js";
import { type ClaimedJob, toMs } from "../job.js";
import { errorLine, jobLogFields, log, OutageLog } from "../logger.js";
import { getSettings } from "../settings.js";
import { ActiveJob } from "./active-job.js";
import { ClaimControl } from "./claim-control.js";
import { Finisher } from "./finisher.js";
import { type RunContext, runClaimedJob } from "./handle-job.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { MetricsRecorder } from "./metrics-recorder.js";
import type { Permits } from "./queue-pool.js";
import { delayedScanner, type Scanner } from "./scanners.js";
import { Semaphore } from "./semaphore.js";
import { onGrid } from "./timer.js";
import { sleep, WakeFlag } from "./wait.js";

/** Most jobs one claim call asks for, unless the backend says otherwise (Backend.claimBatch). */
const CLAIM_BATCH = 64;

/** What the claim loop needs from a rate limiter: a local bucket or the backend's shared one. */
export interface Limiter {
  acquire(signal?: AbortSignal): Promise<void>;
  tryAcquire(): boolean;
  /**
   * Gives back tokens taken for jobs that were not there (a claim that found fewer), so that an idle
   * worker spends none of the budget. Awaited before the loop sleeps or claims again.
   */
  refund?(n: number): void | Promise<void>;
  /**
   * Holds every claim this limiter governs for `ms`, after a handler's RateLimitError. Without it
   * (or when it fails), the claim loop holds its own claims only.
   */
  hold?(ms: number): void | Promise<void>;
}

export interface ProcessJobOptions {
  /** Default: the configured default backend (see resolveBackend). */
  backend?: Backend;
  /**
   * Bounds the jobs run at once: a Semaphore (share one to bound several loops together; a busy
   * loop hands the permits of its ended jobs to the jobs it claims with their finish, rather than
   * to another loop waiting), or a queue's lane of a multi-queue runtime's QueuePool.
   */
  semaphore: Permits;
  /** Tokens taken before each claim. Default: none (no rate limit). */
  rateLimiter?: Limiter;
  /** Aborting it stops claiming and drains. Default: none (runs until the process ends). */
  signal?: AbortSignal;
  /** Id recorded on claimed jobs. Default `host:pid:random`. */
  workerId?: string;
  /** How long in-flight jobs may finish after `signal` aborts. Default: settings.shutdownGrace. */
  shutdownGrace?: number | string;
  /**
   * Longest idle sleep when no wake-up comes (a fallback, not a poll), and of the delayed scanner.
   * Default: settings.scanInterval.
   */
  idleSleep?: number | string;
  /** Lease length. Default: settings.leaseDuration. */
  leaseDuration?: number | string;
  /** Jobs a busy loop holds beyond its slots (RunWorkerOptions.prefetch). Default 0. */
  prefetch?: number;
}

/** A validated ProcessJobOptions, and the runtime's own finisher, lease keeper and attempts. */
interface Loop {
  queue: string;
  backend: Backend;
  semaphore: Permits;
  limiter: Limiter | undefined;
  signal: AbortSignal;
  workerId: string;
  leaseMs: number;
  idleMs: number;
  /** The longest idle sleep, reached by doubling `idleMs` while claims find nothing. */
  maxIdleMs: number;
  rt: RunContext;
  /** The same set as `rt.inflight`: what shutdown hands back. */
  inflight: Set<ActiveJob>;
  /** Read at shutdown: Worker.stop({ grace }) may have changed it. */
  grace: () => number;
  /** A Worker object's pause and drained notice, and this loop's rate-limit hold. */
  control: ClaimControl;
  /** Jobs held beyond the slots (handOver); 0: none, and a slot frees once its job's end is written. */
  prefetch: number;
  /** Most jobs one claim asks for (claimBatchOf). */
  batch: number;
}

/**
 * Runs the claim loop and the delayed scanner of `queueName` until `signal` aborts, then drains:
 * resolves once in-flight jobs finished or, past the grace, were handed back.
 */
export async function processJob(queueName: string, options: ProcessJobOptions): Promise<void> {
  const backend = resolveBackend(options.backend);
  const recorder = MetricsRecorder.for(backend);
  try {
    await claimJobs(queueName, { ...options, backend }, recorder);
  } finally {
    await recorder?.flush();
  }
}

/** How the runtime adapts the claim loop: the default is processJob's (promotes, polls at idleSleep). */
export interface ClaimRuntime {
  /** Wraps the delayed scanner (the runtime runs it only while it leads the queue). */
  maintain?: (scanner: Scanner) => Scanner;
  /**
   * The longest idle sleep, reached by doubling idleSleep while claims find nothing, and the delayed
   * scanner's safety poll. Default: idleSleep.
   */
  maxIdleMs?: number;
}

/**
 * processJob with a given metrics recorder (null: none), which the caller flushes: the runtime
 * shares one between its claim loop and its stall sweeper. `inflight` holds the jobs running now
 * (the runtime's heartbeat reports its size: permits also go to claims in progress). `control`:
 * a Worker object's pause and drained notice.
 */
export async function claimJobs(
  queueName: string,
  options: ProcessJobOptions,
  recorder: MetricsRecorder | null,
  inflight = new Set<ActiveJob>(),
  control?: ClaimControl,
  runtime: ClaimRuntime = {},
): Promise<void> {
  const settings = getSettings();
  const backend = resolveBackend(options.backend);
  const leaseMs = toMs(options.leaseDuration ?? settings.leaseDuration, "leaseDuration");
  const idleMs = toMs(options.idleSleep ?? settings.scanInterval, "idleSleep");
  const grace = () => toMs(options.shutdownGrace ?? settings.shutdownGrace, "shutdownGrace");
  grace(); // validate now
  const signal = options.signal ?? new AbortController().signal;
  const keeper = new LeaseKeeper(backend, leaseMs);
  const ctl = control ?? new ClaimControl();
  const rateLimited = (ms: number) => holdClaims(options.rateLimiter, ctl, ms, queueName);
  // Held jobs come with the finishes of a loop that hands over: elsewhere the option is ignored,
  // and a slot frees only once its job's end is written.
  const hands = handsOver(options.rateLimiter, options.semaphore);
  const prefetch = hands ? (options.prefetch ?? 0) : 0;
  const batch = claimBatchOf(backend, hands && prefetch > 0 ? options.semaphore.permits + prefetch : 0);
  const loop: Loop = {
    queue: queueName,
    backend,
    semaphore: options.semaphore,
    limiter: options.rateLimiter,
    signal,
    workerId: options.workerId ?? newWorkerId(),
    leaseMs,
    idleMs,
    maxIdleMs: Math.max(idleMs, runtime.maxIdleMs ?? idleMs),
    // With prefetch, a batch of a claim's size goes at once (Finisher's flushAt).
    rt: {
      finisher: new Finisher(backend, recorder, prefetch > 0 ? batch : undefined),
      keeper,
      inflight,
      rateLimited,
    },
    inflight,
    grace,
    control: ctl,
    prefetch,
    batch,
  };
  try {
    const promote = (runtime.maintain ?? ((scanner) => scanner))(delayedScanner(idleMs, loop.maxIdleMs));
    await Promise.all([claimLoop(loop), promote({ queue: queueName, backend, signal })]);
  } finally {
    keeper.close();
  }
}

async function claimLoop(loop: Loop): Promise<void> {
  const { queue, backend, semaphore, limiter, signal, workerId, leaseMs, idleMs, maxIdleMs, rt, control } =
    loop;
  const { running } = control;
  const wake = new WakeFlag(backend, queue);
  const outage = new OutageLog(`claiming jobs of queue "${queue}"`, { queue, workerId });
  const retryMs = Math.min(idleMs, 1000);
  let idle = idleMs;
  // Jobs claimed with the finish of others (handOver), each waiting for the slot of one of those;
  // with prefetch, up to that many more, each leased while it waits (Held).
  const handed: ClaimedJob[] = [];
  const start = (job: ClaimedJob, release: () => void) => {
    // The slot goes to the next held job, else back to the semaphore: once the end is written, or
    // with prefetch once the handler is done (the write goes on, counted as running for the drain).
    let freed = false;
    const free = () => {
      if (freed) return;
      freed = true;
      const next = held.next();
      if (next === undefined) release();
      else start(next, release);
    };
    const done = () => {
      running.delete(run);
      free();
    };
    const ended = loop.prefetch > 0 ? free : undefined;
    const run: Promise<void> = runClaimedJob(backend, queue, job, rt, held.take(job), ended).then(
      done,
      (err) => {
        log().error(
          `job ${job.id} of "${queue}": internal error; its lease will expire and it will run again`,
          { ...jobLogFields(job), err },
        );
        done();
      },
    );
    running.add(run);
  };

  // Whether the last claim found fewer jobs than it asked for (the queue ran dry, or is held back),
  // or was the first after an idle sleep: the job that woke the loop may be all there is, and an
  // idle queue's finishes then go without a claim, as before. Two full claims in a row: busy.
  const last = { dry: true };
  let woke = true;
  const held = new Held(loop, handed, start);
  control.whenPaused(() => held.handBack());
  handOver(loop, handed, last, held);
  const idleClaimer = claimWithEnqueues(loop, start, last);

  try {
    while (!signal.aborted) {
      await control.pass(signal);
      let first: () => void;
      try {
        first = await semaphore.acquire(signal);
      } catch {
        break; // aborted while waiting for a permit
      }
      const permits = [first];
      for (
        let p = semaphore.tryAcquire();
        p;
        p = permits.length < loop.batch ? semaphore.tryAcquire() : null
      ) {
        permits.push(p);
      }
      const took = permits.length;
      let wanted = took;
      if (limiter) {
        try {
          await limiter.acquire(signal);
        } catch {
          for (const release of permits) release();
          break;
        }
        let tokens = 1;
        while (tokens < wanted && limiter.tryAcquire()) tokens++;
        for (const release of permits.splice(tokens)) release();
        wanted = tokens;
      }
      // Paused or held while it waited for permits or tokens: give them back, and wait at the top.
      if (signal.aborted || control.blocked) {
        await refund(limiter, wanted);
        for (const release of permits) release();
        continue;
      }

      wake.arm();
      control.claimStarted();
      let jobs: ClaimedJob[];
      try {
        jobs = await backend.claim(queue, {
          workerId,
          limit: wanted,
          leaseMs,
          now: Date.now(),
          concurrency: semaphore.permits,
        });
        outage.succeeded();
      } catch (err) {
        control.claimEnded(null);
        await refund(limiter, wanted);
        for (const release of permits) release();
        // A broken backend (a corrupt SQLite file) never recovers: stop, and let the runner say why.
        if (isFatal(err)) throw err;
        outage.failed(err, `every ${retryMs} ms`);
        await sleep(retryMs, signal);
        continue;
      }
      // No job, or a rate limit's few tokens: a multi-queue pool stops giving this queue turns until
      // a claim finds jobs as its rate limit allows.
      semaphore.claimed?.(jobs.length, wanted < took);
      last.dry = jobs.length < wanted || woke;
      woke = false;
      for (const release of permits.splice(jobs.length)) release();
      for (let i = 0; i < jobs.length; i++) start(jobs[i] as ClaimedJob, permits[i] as () => void);
      // Permits given back while held jobs wait go to them.
      held.fill();
      control.claimEnded(jobs.length);
      if (jobs.length < wanted) await refund(limiter, wanted - jobs.length);
      // Nothing to take (the queue ran out, or its global concurrency is reached): sleep until a
      // wake-up (a new job, a promotion, a freed slot) or the idle fallback. One that came during the
      // claim ends the wait at once (the flag was armed before it). A short claim is no such sign:
      // on Postgres it skips rows another worker holds (SKIP LOCKED) while jobs still wait. The
      // fallback doubles while claims find nothing, up to maxIdleMs: a claim that came back empty
      // because of SKIP LOCKED is still retried after idleMs.
      if (jobs.length === 0) {
        const withdraw = idleClaimer && backend.offerIdleClaim?.(queue, idleClaimer);
        try {
          await wake.wait(onGrid(idle), signal);
        } finally {
          withdraw?.();
        }
        woke = true;
        idle = Math.min(idle * 2, maxIdleMs);
      } else idle = idleMs;
    }
  } finally {
    wake.close();
    control.whenPaused(null);
    held.handBack();
    await drain(running, loop.inflight, loop.grace());
  }
}

/**
 * Whether a loop may take jobs outside its own claims (with its finishes, handOver; with this
 * process's enqueues, claimWithEnqueues): no rate limit governs its claims (tokens are the claim
 * loop's), and its permits are its own semaphore's (a multi-queue pool gives each freed permit to
 * the queue whose turn it is, which a hand-over would skip).
 */
function handsOver(limiter: Limiter | undefined, semaphore: Permits): semaphore is Semaphore {
  return limiter === undefined && semaphore instanceof Semaphore;
}

/**
 * Lets a busy loop claim with the finish of its ended jobs (`Backend.finishAndClaim`): each job
 * claimed there takes the slot of one of them (`handed`, started by the claim loop's `done`), so a
 * busy worker makes one backend call per turn rather than a finish and then a claim, and never holds
 * more jobs than its concurrency plus its prefetch. Only for a loop that hands over (handsOver),
 * while the queue has had work for every slot asked (not `last.dry`) and the loop may claim (not
 * paused, held or stopping).
 */
function handOver(loop: Loop, handed: ClaimedJob[], last: { dry: boolean }, held: Held): void {
  const { queue, semaphore, limiter, signal, control, workerId, leaseMs, rt, prefetch, batch } = loop;
  if (!handsOver(limiter, semaphore)) return;
  // Jobs asked by the claims in flight (prefetch).
  let asking = 0;
  rt.finisher.refill(queue, {
    want: (n) => {
      // After a shrink of the concurrency, ended jobs give their slots back until it holds.
      // With prefetch the ended jobs' slots were freed when their handlers returned: the claim
      // fills the free slots and tops the held jobs up to `prefetch`, counting those on their way.
      const room =
        prefetch > 0
          ? semaphore.available + prefetch - handed.length - asking
          : n - Math.max(0, semaphore.inUse - semaphore.permits);
      const limit = Math.min(room, batch);
      if (signal.aborted || control.blocked) return null;
      if (limit < 1 || last.dry) {
        // No claim goes with this finish (the queue ran dry, or the held jobs fill the room), so
        // none comes back short to tell of a queue.pause() while held jobs start in freed slots:
        // look, unless a claim in flight will tell. (A busy worker's finishes always claim: in
        // 20,000 jobs at prefetch 450 on Redis, none went without.)
        if (asking === 0) held.backIfPaused();
        return null;
      }
      control.claimStarted();
      asking += limit;
      // A dead worker's share of the stall rule counts every job it may hold (claimPeers).
      return { workerId, limit, leaseMs, now: Date.now(), concurrency: semaphore.permits + prefetch };
    },
    adopt: (jobs, asked) => {
      asking -= asked;
      control.claimEnded(jobs === null ? null : jobs.length);
      if (jobs === null) return;
      last.dry = jobs.length < asked;
      held.add(jobs);
      // A claim that came back short while jobs are held: the queue may have been paused
      // (queue.pause()), which a claim does not tell from a queue that ran dry.
      if (last.dry) held.backIfPaused();
    },
  });
}

/**
 * The offer of an idle loop to claim with this process's enqueues (`Backend.offerIdleClaim`): a
 * claim for as many of the new jobs as it has free slots is made with the enqueue, and each job
 * it finds starts in one of them. Only for a loop that hands over (handsOver), while it may
 * claim. Until its jobs have started, the claim counts as in
 * flight (control) and as running (drain waits for it).
 */
function claimWithEnqueues(
  loop: Loop,
  start: (job: ClaimedJob, release: () => void) => void,
  last: { dry: boolean },
): IdleClaimer | undefined {
  const { semaphore, limiter, signal, control, workerId, leaseMs, batch } = loop;
  if (!handsOver(limiter, semaphore)) return undefined;
  return {
    take: (count) => {
      if (signal.aborted || control.blocked) return null;
      const permits: Array<() => void> = [];
      const most = Math.min(count, batch);
      for (let p = semaphore.tryAcquire(); p; p = permits.length < most ? semaphore.tryAcquire() : null) {
        permits.push(p);
      }
      if (permits.length === 0) return null;
      control.claimStarted();
      let settle!: () => void;
      const claiming = new Promise<void>((resolve) => {
        settle = resolve;
      });
      control.running.add(claiming);
      return {
        claim: { workerId, limit: permits.length, leaseMs, now: Date.now(), concurrency: semaphore.permits },
        adopt: (jobs) => {
          const found = jobs ?? [];
          // A claim that found all it asked for leaves the queue maybe busy: the finish of these
          // jobs claims with it (handOver), as the sleeping loop is not woken for them.
          last.dry = found.length < permits.length;
          for (const release of permits.splice(found.length)) release();
          for (let i = 0; i < found.length; i++) start(found[i] as ClaimedJob, permits[i] as () => void);
          control.running.delete(claiming);
          settle();
          control.claimEnded(jobs === null ? null : found.length);
        },
      };
    },
  };
}

/**
 * Most jobs one claim (and, with prefetch, one finish) carries: the backend's claim batch when it
 * names a usable one (a positive whole number), else CLAIM_BATCH; for a prefetching worker that
 * may hold `holds` jobs (its slots at start plus prefetch), at most half of them (never below
 * CLAIM_BATCH), so that one batch fills while the other is written and claimed again: on PostgreSQL
 * (claimBatch 512) concurrency 50 with prefetch 450 gets batches of 250, with 900 of 475, with
 * 1,800 of 512 (docs/performance.md).
 */
function claimBatchOf(backend: Backend, holds: number): number {
  const batch = backend.claimBatch;
  const most = batch !== undefined && Number.isInteger(batch) && batch > 0 ? batch : CLAIM_BATCH;
  return holds > 0 ? Math.min(most, Math.max(CLAIM_BATCH, Math.ceil(holds / 2))) : most;
}

/**
 * Gives back `n` tokens (n <= 0: none). A refund the backend fails costs that token of the budget,
 * nothing more: the claim loop goes on, and the backend's outage is reported by the claim.
 */
async function refund(limiter: Limiter | undefined, n: number): Promise<void> {
  if (n <= 0 || limiter?.refund === undefined) return;
  try {
    await limiter.refund(n);
  } catch {
    // see above
  }
}

/**
 * Holds claims for `ms` after a handler's RateLimitError: every worker's, through the limiter, when
 * it shares one bucket (rateScope "queue"); else, or when that fails, this loop's. True when the
 * hold is the queue's.
 */
async function holdClaims(
  limiter: Limiter | undefined,
  control: ClaimControl,
  ms: number,
  queue: string,
): Promise<boolean> {
  if (limiter?.hold !== undefined) {
    try {
      await limiter.hold(ms);
      return true;
    } catch (err) {
      log().warn(
        `could not hold the claims of queue "${queue}" for ${ms} ms (${errorLine(err)}); holding this worker's only`,
        { queue, error: errorLine(err) },
      );
    }
  }
  control.hold(ms);
  return false;
}

/** Lets in-flight jobs finish within `grace`, then aborts them so they are handed back. */
async function drain(running: Set<Promise<void>>, inflight: Set<ActiveJob>, grace: number): Promise<void> {
  if (running.size === 0) return;
  // Until the set stays empty: a job claimed with a finish in flight starts after the first look.
  const all = async () => {
    while (running.size > 0) await Promise.allSettled([...running]);
  };
  const ctl = new AbortController();
  await Promise.race([all(), sleep(grace, ctl.signal)]);
  ctl.abort();
  // Again each round: a job handed over meanwhile is handed back too.
  while (running.size > 0) {
    for (const job of inflight) {
      job.abort(
        "shutdown",
        new JobCancelledError(
          `the worker is shutting down and the ${grace} ms grace is over; job handed back to the queue`,
        ),
      );
    }
    await Promise.allSettled([...running]);
  }
}

/** A worker id: host, pid and a random suffix. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The jobs a loop holds before they start (`handed`), in claim order. Without prefetch, each waits
 * for the slot of a job whose end is being written with its claim. With prefetch, each one's lease
 * is kept by the lease keeper while it waits (no stall sweep takes it back), one cancelled or whose
 * lease was lost meanwhile is dropped unstarted, free permits start them at once, and a stop hands
 * the rest back.
 */
class Held {
  readonly #leases = new Map<ClaimedJob, ActiveJob>();
  /** A look at whether the queue is paused is in flight (backIfPaused). */
  #checking = false;
  /** Asked for while one was in flight: that one may have read the queue before a pause. */
  #lookAgain = false;

  constructor(
    private readonly loop: Loop,
    private readonly handed: ClaimedJob[],
    private readonly start: (job: ClaimedJob, release: () => void) => void,
  ) {}

  /** Jobs claimed with the finish of others. */
  add(jobs: ClaimedJob[]): void {
    const { prefetch, queue, rt } = this.loop;
    if (prefetch > 0) {
      for (const job of jobs) {
        const active = ActiveJob.of(queue, job, rt.keeper.leaseMs);
        rt.keeper.add(active);
        this.#leases.set(job, active);
      }
    }
    this.handed.push(...jobs);
    // Claimed by a call in flight when the worker paused: back at once, as the others went.
    if (prefetch > 0 && this.loop.control.paused) this.handBack();
    else this.fill();
  }

  /** With prefetch: starts held jobs on the permits free now (none come back from ending jobs). */
  fill(): void {
    const { prefetch, semaphore } = this.loop;
    if (prefetch === 0) return;
    while (this.handed.length > 0) {
      const permit = semaphore.tryAcquire();
      if (permit === null) return;
      const job = this.next();
      if (job === undefined) {
        permit();
        return;
      }
      this.start(job, permit);
    }
  }

  /** The job to start in a freed slot, if any (with prefetch: none once the loop stops or pauses). */
  next(): ClaimedJob | undefined {
    if (this.loop.prefetch > 0 && (this.loop.signal.aborted || this.loop.control.paused)) {
      this.handBack();
      return undefined;
    }
    for (let job = this.handed.shift(); job !== undefined; job = this.handed.shift()) {
      const active = this.#leases.get(job);
      if (active?.cause === undefined) return job;
      // Cancelled, removed or its lease lost while it waited: the backend has moved it already.
      this.take(job);
    }
    return undefined;
  }

  /**
   * With prefetch and jobs held: hands them back if the queue is paused (`queue.pause()`, which
   * this worker learns of only here: a claim comes back short). One look at a time, counted as
   * running so that a stop waits for it, and one more after it when asked for meanwhile; a failed
   * one leaves them held.
   */
  backIfPaused(): void {
    const { prefetch, backend, queue, control } = this.loop;
    if (prefetch === 0 || this.handed.length === 0) return;
    if (this.#checking) {
      this.#lookAgain = true;
      return;
    }
    this.#checking = true;
    const look: Promise<void> = backend
      .isPaused(queue)
      .then(
        (paused) => {
          if (paused) this.handBack();
        },
        () => undefined,
      )
      .finally(() => {
        this.#checking = false;
        control.running.delete(look);
        if (!this.#lookAgain) return;
        this.#lookAgain = false;
        this.backIfPaused();
      });
    control.running.add(look);
  }

  /** The lease kept for `job` while it waited, which its run takes over (none without prefetch). */
  take(job: ClaimedJob): ActiveJob | undefined {
    const active = this.#leases.get(job);
    if (active === undefined) return undefined;
    this.#leases.delete(job);
    this.loop.rt.keeper.remove(active);
    return active;
  }

  /**
   * With prefetch, at a stop or a pause: every held job goes back to waiting unstarted (`released`), the
   * writes counted as running so that the drain waits for them. One that fails leaves the job to
   * its lease and the stall sweep, as for a worker that dies.
   */
  handBack(): void {
    const { prefetch, queue, rt, control } = this.loop;
    if (prefetch === 0) return;
    for (const job of this.handed.splice(0)) {
      if (this.take(job)?.cause !== undefined) continue;
      const write: Promise<void> = rt.finisher
        .finish(queue, { kind: "released", jobId: job.id, token: job.token })
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => control.running.delete(write));
      control.running.add(write);
    }
  }
}
