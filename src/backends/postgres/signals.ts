/** What a Postgres transition collects for its effects (engine.ts): events and wake-ups, in order. */
import type { JobEventName, JobEventPayload } from "../../events.js";
import type { QueueEvent, WakeReason } from "../backend.js";
import type { Effects } from "../engine.js";
import type { TxSignals } from "../shared/rules.js";

/** The events and wake-ups of one transition, in order. */
export class Signals implements TxSignals {
  readonly events: QueueEvent[] = [];
  readonly wakes = new Set<WakeReason>();

  emit(name: JobEventName, payload: JobEventPayload): void {
    this.events.push({ name, payload });
  }

  wake(reason: WakeReason): void {
    this.wakes.add(reason);
  }

  /** Appends the effects of a later step of the same transition. */
  add(effects: Effects | undefined): void {
    for (const event of effects?.events ?? []) this.events.push(event);
    for (const reason of effects?.wakes ?? []) this.wakes.add(reason);
  }

  /** The effects to deliver in this process: the events only when `withEvents` (someone listens here). */
  effects(withEvents: boolean): Effects | undefined {
    const events = withEvents && this.events.length > 0 ? this.events : undefined;
    const wakes = this.wakes.size > 0 ? [...this.wakes] : undefined;
    return events || wakes ? { events, wakes } : undefined;
  }
}
