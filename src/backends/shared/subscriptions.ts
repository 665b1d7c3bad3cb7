/**
 * The subscriber registrations of the SQL engines' notifiers (one design, two transports). While
 * this process has `subscribe` listeners on a queue, a row of the engine's `subscribers` table
 * tells writers in other processes to publish that queue's events. Rows expire unless renewed by
 * this heartbeat, so a process that dies stops costing writers anything; the heartbeat also lets
 * the engine trim old event rows.
 */

/** How an engine writes its registrations. Failures are the engine's to report or ignore. */
export interface RegistrationStore {
  /** Renews the registrations of `queues` (and does the engine's periodic trimming). */
  renew(queues: readonly string[]): void | Promise<void>;
  /** Removes the registrations of `queues`. */
  drop(queues: readonly string[]): void | Promise<void>;
}

/** The queues this process subscribes to, kept registered by a heartbeat. */
export class SubscriberRegistrations {
  readonly #queues = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RegistrationStore,
    private readonly heartbeatMs: number,
  ) {}

  get queues(): ReadonlySet<string> {
    return this.#queues;
  }

  /** Starts renewing `queue` (the caller registers it first, as its engine needs). */
  add(queue: string): void {
    this.#queues.add(queue);
    if (this.#timer) return;
    // Unref'd: a subscription must not keep a process alive on its own.
    this.#timer = setInterval(() => void this.renew(), this.heartbeatMs);
    this.#timer.unref();
  }

  /** Stops renewing `queue` and drops its registration. */
  async delete(queue: string): Promise<void> {
    if (!this.#queues.delete(queue)) return;
    if (this.#queues.size === 0) this.#stop();
    await this.store.drop([queue]);
    // Subscribed again while the drop was in flight: its new registration may have gone with it.
    if (this.#queues.has(queue)) await this.store.renew([queue]);
  }

  /** Renews every registration now (the heartbeat's beat; also after a reconnect). */
  async renew(): Promise<void> {
    if (this.#queues.size > 0) await this.store.renew([...this.#queues]);
  }

  /** Stops the heartbeat and drops every registration. */
  async close(): Promise<void> {
    this.#stop();
    const queues = [...this.#queues];
    this.#queues.clear();
    if (queues.length > 0) await this.store.drop(queues);
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
