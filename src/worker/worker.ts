/**
 * The runtime as an object: start, stop with a grace, pause and resume, change concurrency while
 * running, and the events of its queues (`job:*`, `queue:*`) re-emitted on the object, beside its own.
 */
import { EventEmitter } from "node:events";
import { events, JOB_EVENT_NAMES, type JobEventPayload } from "../events.js";
import { checkInt, toMs } from "../job.js";
import { log } from "../logger.js";
import { checkKeys, WORKER_HINTS } from "../option-keys.js";
import { ClaimControl } from "./claim-control.js";
import { checkWorkerKeys, launchRuntime, type RuntimeHandle, type RunWorkerOptions } from "./runners.js";
import { checkQueues, type QueueSpec, type WorkerQueues } from "./worker-queues.js";

const EVENT_NAMES: ReadonlySet<string> = new Set(JOB_EVENT_NAMES);

/**
 * One worker of a queue, or of several queues sharing its concurrency (see RunWorkerOptions and
 * WorkerQueue), as an object. Beside its queues' events (`job:*`, `queue:*`, of every worker), it
 * emits its own:
 * - `"drained"` (with the queue's name): a claim of this worker found no waiting job after claims
 *   that found some (the queue ran dry for it; its last jobs may still run, delayed jobs may come),
 *   as BullMQ emits it; once per queue that ran dry.
 * - `"paused"` and `"resumed"`: {@link Worker.pause} and {@link Worker.resume} took effect.
 *
 * A listener that throws is logged and never breaks the worker.
 */
export class Worker extends EventEmitter {
  readonly #queues: QueueSpec[];
  /** The queues' names, for event forwarding and messages. */
  readonly #names: ReadonlySet<string>;
  readonly #options: RunWorkerOptions;
  /** Per queue: its claim loop's pause and drained notice. */
  readonly #controls: Map<string, ClaimControl>;
  #handle: RuntimeHandle | null = null;
  #controller: AbortController | null = null;
  #stopping: Promise<void> | null = null;
  /** Removes this run's listener from `options.signal`, which outlives the run. */
  #unfollow: (() => void) | null = null;
  readonly #forward = new Map<string, (payload: JobEventPayload) => void>();

  /**
   * @param queues One queue name, or several queues (names or `{ name, weight }`): one runtime, one
   *   concurrency pool shared fairly, one heartbeat entry.
   */
  constructor(queues: WorkerQueues, options: RunWorkerOptions = {}) {
    super();
    this.#queues = checkQueues(queues);
    this.#names = new Set(this.#queues.map((q) => q.name));
    this.#controls = new Map(
      this.#queues.map((q) => [q.name, new ClaimControl(() => this.#emitOwn("drained", q.name))]),
    );
    checkWorkerKeys(this.#queues, options);
    if (options.concurrency !== undefined) checkInt(options.concurrency, "concurrency", 1);
    this.#options = { ...options };
    // Forward only the events someone listens to on this object: a listener on the global emitter
    // makes every backend build event payloads for every job, which the hot path otherwise skips.
    this.on("newListener", (name: string | symbol) => {
      if (this.#handle) this.#forwardEvent(name);
    });
    this.on("removeListener", (name: string | symbol) => {
      if (this.listenerCount(name) === 0) this.#stopForwarding(name);
    });
  }

  /** The id this worker records on the jobs it claims (`host:pid:random`); empty before start. */
  get id(): string {
    return this.#handle?.workerId ?? "";
  }

  /** True between start() and the end of stop(). */
  get running(): boolean {
    return this.#handle !== null;
  }

  /** Starts claiming jobs; resolves once it is. Starting a running worker does nothing. */
  async start(): Promise<void> {
    if (this.#handle) return;
    const controller = new AbortController();
    const outer = this.#options.signal;
    if (outer?.aborted) controller.abort(outer.reason);
    else if (outer) {
      const follow = () => controller.abort(outer.reason);
      outer.addEventListener("abort", follow, { once: true });
      this.#unfollow = () => outer.removeEventListener("abort", follow);
    }
    this.#handle = launchRuntime(
      this.#queues,
      { ...this.#options, signal: controller.signal },
      undefined,
      (queue) => this.#controls.get(queue) as ClaimControl,
    );
    this.#controller = controller;
    for (const name of JOB_EVENT_NAMES) if (this.listenerCount(name) > 0) this.#forwardEvent(name);
    this.#handle.done
      .catch((err) =>
        log().error(`worker on ${this.#label} stopped with an error`, {
          queue: [...this.#names].join(","),
          workerId: this.id,
          err,
        }),
      )
      .finally(() => this.#cleanup());
    await Promise.resolve();
  }

  /** Stops claiming, lets in-flight jobs finish within `grace` (default shutdownGrace), hands back the rest. */
  async stop(options?: { grace?: number | string }): Promise<void> {
    const handle = this.#handle;
    if (options !== undefined) checkKeys(options, ["grace"], "worker.stop() options", WORKER_HINTS);
    if (!handle) return;
    if (options?.grace !== undefined) handle.setShutdownGrace(toMs(options.grace, "grace"));
    this.#controller?.abort(new Error("worker stopped"));
    this.#stopping ??= handle.done;
    await this.#stopping;
  }

  /** True between pause() and resume(), whether running or not. */
  get paused(): boolean {
    return this.#first.paused;
  }

  /**
   * Stops this worker from claiming jobs of all its queues, without stopping it (other workers of
   * the queues go on; `queue.pause()` pauses a queue for all its workers). Jobs it is running run
   * on; with `prefetch`, the jobs it holds unstarted go back to waiting at once (attempts unchanged),
   * for other workers to take. Resolves once no claim of its is in flight and, unless `waitActive`
   * is false, its running jobs have ended. A worker paused before start() starts paused. Emits
   * `"paused"`.
   * @param options.waitActive Wait for its running jobs to end. Default true (BullMQ's
   *   `pause(doNotWaitActive)` is `pause({ waitActive: !doNotWaitActive })`).
   */
  async pause(options?: { waitActive?: boolean }): Promise<void> {
    if (!this.#first.paused) {
      for (const control of this.#controls.values()) control.pause();
      this.#emitOwn("paused");
    }
    const waitActive = options?.waitActive ?? true;
    await Promise.all([...this.#controls.values()].map((control) => control.settled(waitActive)));
  }

  /** Lets a paused worker claim jobs again, at once. Emits `"resumed"`. Does nothing if not paused. */
  resume(): void {
    if (!this.#first.paused) return;
    for (const control of this.#controls.values()) control.resume();
    this.#emitOwn("resumed");
  }

  /** Changes how many jobs run at once (over all its queues), without a restart. */
  setConcurrency(n: number): void {
    checkInt(n, "concurrency", 1);
    this.#options.concurrency = n;
    this.#handle?.semaphore.resize(n);
  }

  /** Emits one of the worker's own events; a listener's error is logged, never the worker's. */
  #emitOwn(name: "drained" | "paused" | "resumed", ...args: string[]): void {
    try {
      this.emit(name, ...args);
    } catch (err) {
      log().error(`a "${name}" listener of the worker on ${this.#label} threw`, {
        queue: [...this.#names].join(","),
        workerId: this.id,
        err,
      });
    }
  }

  /** The queues' names, quoted, for messages. */
  get #label(): string {
    return this.#queues.map((q) => `"${q.name}"`).join(", ");
  }

  /** Every queue's control is paused or resumed together: the first one tells. */
  get #first(): ClaimControl {
    return this.#controls.values().next().value as ClaimControl;
  }

  #forwardEvent(name: string | symbol): void {
    if (typeof name !== "string" || !EVENT_NAMES.has(name) || this.#forward.has(name)) return;
    const listener = (payload: JobEventPayload) => {
      if (this.#names.has(payload.queue)) this.emit(name, payload);
    };
    this.#forward.set(name, listener);
    events.on(name, listener);
  }

  #stopForwarding(name: string | symbol): void {
    const listener = typeof name === "string" ? this.#forward.get(name) : undefined;
    if (!listener) return;
    events.off(name as string, listener);
    this.#forward.delete(name as string);
  }

  #cleanup(): void {
    for (const [name, listener] of this.#forward) events.off(name, listener);
    this.#forward.clear();
    this.#unfollow?.();
    this.#unfollow = null;
    this.#handle = null;
    this.#controller = null;
    this.#stopping = null;
  }
}
