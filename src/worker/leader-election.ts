/**
 * Who runs a queue's maintenance loops (stall sweep, housekeeping, delayed promotion, durable
 * repeatables): the one worker, across all processes, holding the queue's leader lease in the
 * backend (`backend.leaders`, scope = queue name); the others only claim and run jobs.
 *
 * One elector per backend object and lease length in this process holds the leases of all its
 * runtimes' queues: every ttl/3 (moved onto the idle timer grid, see onGrid) ONE `tryLead` call
 * renews those it holds and tries for the others, so a process costs one call per round whatever
 * its number of queues. A leader that dies without resigning is replaced once its lease expires,
 * within about ttl plus one round. Within the process, the first runtime of a queue to join leads
 * it, and when it stops the next one leads at once; the last one resigns, so another process takes
 * the queue on its next try (within one round). A leader that cannot renew (the backend is away)
 * stops leading when its lease would have expired, before another can have taken it (clocks apart
 * by more than that can overlap two leaders for a while; every maintenance step is atomic and safe
 * to run twice, so that only costs calls).
 */
import { setMaxListeners } from "node:events";
import type { Backend, LeaderStore } from "../backends/backend.js";
import { OutageLog } from "../logger.js";
import { newWorkerId } from "./claim-loop.js";
import { type LongTimer, onGrid, setLongTimeout } from "./timer.js";

/** One runtime's place in the election of its queue. */
export class Candidate {
  /** The current term, while this candidate leads; aborted when it ends. */
  #term: AbortController | null = null;
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly queue: string,
    private readonly elector: Elector,
  ) {}

  get leading(): boolean {
    return this.#term !== null;
  }

  /**
   * Resolves once this candidate leads, with a signal that aborts when that term ends (or when
   * `signal` aborts); null once `signal` aborted.
   */
  whenLeading(signal: AbortSignal): Promise<AbortSignal | null> {
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal.removeEventListener("abort", done);
        if (signal.aborted || this.#term === null) return resolve(null);
        const term = this.#term.signal;
        const stop = () => this.#term?.signal === term && this.#end();
        signal.addEventListener("abort", stop, { once: true });
        term.addEventListener("abort", () => signal.removeEventListener("abort", stop), { once: true });
        resolve(term);
      };
      signal.addEventListener("abort", done, { once: true });
      if (this.#term !== null) done();
      else this.#waiters.add(done);
    });
  }

  /** Leaves the election: the next runtime of the queue in this process leads, or the lease is resigned. */
  leave(): Promise<void> {
    this.#end();
    return this.elector.leave(this);
  }

  /** Called by the elector after each change. */
  setLeading(leading: boolean): void {
    if (!leading) {
      this.#end();
      return;
    }
    if (this.#term !== null) return;
    this.#term = new AbortController();
    // Each maintenance loop of the runtime waits on it: more than Node's default of 10 listeners.
    setMaxListeners(0, this.#term.signal);
    for (const waiter of [...this.#waiters]) waiter();
  }

  #end(): void {
    const term = this.#term;
    this.#term = null;
    term?.abort();
  }
}

/** The leases of one backend object and lease length, in this process. */
class Elector {
  readonly holder = newWorkerId();
  readonly #candidates = new Map<string, Candidate[]>();
  /** Scopes the store said this holder holds, valid until `#validUntil`. */
  #held = new Set<string>();
  #validUntil = 0;
  #next: LongTimer | undefined;
  #expiry: LongTimer | undefined;
  #round: Promise<void> | undefined;
  #again = false;
  readonly #outage: OutageLog;

  constructor(
    private readonly store: LeaderStore,
    private readonly ttlMs: number,
    private readonly onEmpty: () => void,
  ) {
    this.#outage = new OutageLog("renewing the leader leases");
  }

  join(queue: string): Candidate {
    const candidate = new Candidate(queue, this);
    const list = this.#candidates.get(queue);
    if (list) list.push(candidate);
    else this.#candidates.set(queue, [candidate]);
    this.#update();
    // A new queue is tried for at once; runtimes started together share that call.
    if (!this.#held.has(queue)) this.#schedule(0);
    return candidate;
  }

  async leave(candidate: Candidate): Promise<void> {
    const list = (this.#candidates.get(candidate.queue) ?? []).filter((c) => c !== candidate);
    if (list.length > 0) {
      this.#candidates.set(candidate.queue, list);
      this.#update();
      return;
    }
    this.#candidates.delete(candidate.queue);
    if (this.#candidates.size === 0) {
      this.#next?.clear();
      this.#expiry?.clear();
      this.onEmpty();
    }
    await this.#resignOrphans();
  }

  /** Starts a round in `ms` (sooner than one already planned); one round runs at a time. */
  #schedule(ms: number): void {
    if (this.#candidates.size === 0) return;
    if (this.#round !== undefined) {
      if (ms === 0) this.#again = true;
      return;
    }
    this.#next?.clear();
    this.#next = setLongTimeout(() => this.#start(), onGrid(ms), { unref: true });
  }

  #start(): void {
    this.#round = this.#tryLead().finally(() => {
      this.#round = undefined;
      const again = this.#again;
      this.#again = false;
      this.#schedule(again ? 0 : Math.max(10, this.ttlMs / 3));
    });
  }

  async #tryLead(): Promise<void> {
    const scopes = [...this.#candidates.keys()].sort();
    const started = Date.now();
    try {
      this.#held = new Set(await this.store.tryLead(scopes, this.holder, this.ttlMs, started));
      this.#validUntil = started + this.ttlMs;
      this.#outage.succeeded();
      this.#expiry?.clear();
      this.#expiry = setLongTimeout(() => this.#update(), this.ttlMs, { unref: true });
    } catch (err) {
      this.#outage.failed(err, `every ${Math.round(this.ttlMs / 3)} ms`);
    }
    this.#update();
    await this.#resignOrphans();
  }

  /** Gives back leases no runtime here wants any more (left during a round, or the last one left). */
  async #resignOrphans(): Promise<void> {
    const orphans = [...this.#held].filter((scope) => !this.#candidates.has(scope));
    if (orphans.length === 0) return;
    for (const scope of orphans) this.#held.delete(scope);
    // One that fails is freed by its expiry instead.
    await this.store.resign(orphans, this.holder).catch(() => {});
  }

  /** The first candidate of each held queue leads while the lease is valid; no other does. */
  #update(): void {
    const valid = Date.now() < this.#validUntil;
    for (const [queue, list] of this.#candidates) {
      const lead = valid && this.#held.has(queue);
      list.forEach((c, i) => {
        c.setLeading(lead && i === 0);
      });
    }
  }
}

const electors = new WeakMap<Backend, Map<number, Elector>>();

/**
 * Enters the runtime of `queue` in the election of `backend`'s leader for that queue, with leases
 * of `ttlMs`; null when the backend has no leader store (every runtime then runs maintenance).
 */
export function joinElection(backend: Backend, queue: string, ttlMs: number): Candidate | null {
  const store = backend.leaders;
  if (store === undefined) return null;
  let byTtl = electors.get(backend);
  if (byTtl === undefined) {
    byTtl = new Map();
    electors.set(backend, byTtl);
  }
  let elector = byTtl.get(ttlMs);
  if (elector === undefined) {
    const owner = byTtl;
    elector = new Elector(store, ttlMs, () => owner.delete(ttlMs));
    byTtl.set(ttlMs, elector);
  }
  return elector.join(queue);
}
