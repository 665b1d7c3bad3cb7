/**
 * What the memory transition in progress did: its events (built only when this process listens)
 * and its wake-up reasons, each once. Each engine has one `Tx`, reset by `begin`; transitions run
 * synchronously from start to `end`, so two never overlap. A call that did nothing worth telling
 * allocates nothing here.
 */
import type { JobEventName, JobEventPayload } from "../../events.js";
import type { QueueEvent, WakeReason } from "../backend.js";
import type { Applied, EngineContext } from "../engine.js";
import type { TxSignals } from "../shared/rules.js";
import type { StoredJob } from "./stored-job.js";

const WAKE_BITS: Record<WakeReason, number> = { job: 1, delayed: 2, resume: 4 };
const REASONS: WakeReason[] = ["job", "delayed", "resume"];
/** The reasons of each bit mask, built once: the deliverer only reads them, so calls share them. */
const REASONS_OF: WakeReason[][] = Array.from({ length: 8 }, (_, mask) =>
  REASONS.filter((reason) => (mask & WAKE_BITS[reason]) !== 0),
);

export class Tx implements TxSignals {
  /** Whether this call builds its events; call sites check it before building a payload. */
  listening = false;
  #events: QueueEvent[] | undefined = undefined;
  #wakes = 0;

  constructor(private readonly ctx: EngineContext) {}

  /** Starts a transition on `queue`. */
  begin(queue: string): this {
    this.listening = this.ctx.wantsEvents(queue);
    this.#events = undefined;
    this.#wakes = 0;
    return this;
  }

  emit(name: JobEventName, payload: JobEventPayload): void {
    if (!this.listening) return;
    if (this.#events === undefined) this.#events = [{ name, payload }];
    else this.#events.push({ name, payload });
  }

  /** An event whose payload is the job's queue, id and task only. */
  jobEvent(name: JobEventName, job: StoredJob): void {
    if (this.listening) this.emit(name, { queue: job.queue, jobId: job.id, task: job.task });
  }

  wake(reason: WakeReason): void {
    this.#wakes |= WAKE_BITS[reason];
  }

  /** Ends the transition: its value with what it did. */
  end<T>(value: T): Applied<T> {
    const events = this.#events;
    const wakes = this.#wakes;
    if (events === undefined && wakes === 0) return { value };
    this.#events = undefined;
    this.#wakes = 0;
    return { value, effects: { events, wakes: wakes === 0 ? undefined : REASONS_OF[wakes] } };
  }
}
