/**
 * Collecting what one transition did (engine.ts `Effects`): its events, built only when wanted,
 * and its wake-up reasons, each once. Every engine's transitions write into one of these and
 * return `take()` with their value; the deliverer does the rest.
 */
import type { JobEventName, JobEventPayload } from "../../events.js";
import type { QueueEvent, WakeReason } from "../backend.js";
import type { Effects } from "../engine.js";

/** Wake reasons as bits, so a transition keeps them in one number. */
export const WAKE_BITS: Readonly<Record<WakeReason, number>> = { job: 1, delayed: 2, resume: 4 };
/** Every wake reason, in bit order. */
export const WAKE_REASONS: readonly WakeReason[] = ["job", "delayed", "resume"];
/** The reasons of each bit set, built once: the deliverer only reads them, so calls share them. */
const REASONS_OF: ReadonlyArray<readonly WakeReason[]> = Array.from({ length: 8 }, (_, mask) =>
  WAKE_REASONS.filter((reason) => (mask & WAKE_BITS[reason]) !== 0),
);

/** The wake reasons of a bit set (a shared read-only array: do not mutate it). */
export function wakeReasons(mask: number): readonly WakeReason[] {
  return REASONS_OF[mask & 7] ?? WAKE_REASONS;
}

/** What a transition collects; reusable (`take` empties it). Allocates nothing for a quiet call. */
export class EffectsCollector {
  /** Whether events are built: call sites check it before building a costly payload. */
  wantEvents: boolean;
  #events: QueueEvent[] | undefined;
  #wakes = 0;
  /** The collectors of the same transition's effects on other queues (`sibling`), by queue. */
  #others: Map<string, EffectsCollector> | undefined;

  constructor(wantEvents = false) {
    this.wantEvents = wantEvents;
  }

  /** Empties it for a new transition. */
  reset(wantEvents: boolean): this {
    this.wantEvents = wantEvents;
    this.#events = undefined;
    this.#wakes = 0;
    this.#others = undefined;
    return this;
  }

  /**
   * The collector of this transition's effects on another queue `queue` (a dependant there was
   * readied or failed), made by `make` on first use; `take` returns it under `others`.
   */
  sibling<C extends EffectsCollector>(queue: string, make: () => C): C {
    this.#others ??= new Map();
    let other = this.#others.get(queue);
    if (other === undefined) {
      other = make();
      this.#others.set(queue, other);
    }
    return other as C;
  }

  /**
   * Whether a transition must build events for another queue (EngineContext.wantsEvents); set by
   * the engine, read by `other`. Unset: as for this queue.
   */
  wantsEventsOf: ((queue: string) => boolean) | undefined = undefined;

  /** A plain sibling collector for `queue` (see `sibling`), building events when that queue wants them. */
  other(queue: string): EffectsCollector {
    return this.sibling(queue, () => new EffectsCollector(this.wantsEventsOf?.(queue) ?? this.wantEvents));
  }

  /** The sibling collectors made so far, by queue (none: an empty iterator). */
  siblings(): IterableIterator<[string, EffectsCollector]> | [] {
    return this.#others?.entries() ?? [];
  }

  emit(name: JobEventName, payload: JobEventPayload): void {
    if (!this.wantEvents) return;
    if (this.#events === undefined) this.#events = [{ name, payload }];
    else this.#events.push({ name, payload });
  }

  wake(reason: WakeReason): void {
    this.#wakes |= WAKE_BITS[reason];
  }

  /** The wake reasons raised so far, as bits. */
  get wakeBits(): number {
    return this.#wakes;
  }

  /** The events collected so far (for a transport that publishes them before commit). */
  get events(): readonly QueueEvent[] {
    return this.#events ?? [];
  }

  /** Adds the effects of another step of the same transition. */
  add(effects: Effects | undefined): void {
    for (const event of effects?.events ?? []) this.emit(event.name, event.payload);
    for (const reason of effects?.wakes ?? []) this.wake(reason);
    // Its effects on other queues were already filtered to what is wanted: keep them all.
    for (const o of effects?.others ?? [])
      this.sibling(o.queue, () => new EffectsCollector(true)).add(o.effects);
  }

  /** What was collected (undefined when nothing), and empties it. */
  take(): Effects | undefined {
    const events = this.#events;
    const wakes = this.#wakes;
    const others = this.#others === undefined ? undefined : this.#takeOthers(this.#others);
    this.#others = undefined;
    if (events === undefined && wakes === 0 && others === undefined) return undefined;
    this.#events = undefined;
    this.#wakes = 0;
    const effects: Effects = { events, wakes: wakes === 0 ? undefined : wakeReasons(wakes) };
    if (others !== undefined) effects.others = others;
    return effects;
  }

  #takeOthers(siblings: Map<string, EffectsCollector>): Effects["others"] {
    const out: Array<{ queue: string; effects: Effects }> = [];
    for (const [queue, sibling] of siblings) {
      const effects = sibling.take();
      if (effects !== undefined) out.push({ queue, effects });
    }
    return out.length > 0 ? out : undefined;
  }
}
