/**
 * How events and wake-ups reach listeners, for every engine. This is the only place that calls them.
 *
 * - A transition of THIS process returns its effects (engine.ts); once it is durable,
 *   `EngineBackend` calls `deliver`: each event goes to the process-wide `events` emitter and to
 *   this backend's `subscribe` listeners of the queue, then each wake-up reason to its `onWake`
 *   listeners. Synchronously, right after the commit, in the order the transition produced them.
 * - Effects of OTHER processes come through the engine's notifier, which calls `received`: the
 *   same `subscribe` and `onWake` listeners, never the `events` emitter (that one carries this
 *   process's transitions only, so a process hears each event once).
 * - Events are built only when someone listens (`wantsEvents`); wake-ups cost a bit each.
 * - The notifier listens to a queue while that queue has a local listener of the kind.
 * - A throwing listener is logged and never breaks the transition or the other listeners.
 */
import { emitLocal, events } from "../events.js";
import { log } from "../logger.js";
import type { QueueEvent, WakeReason } from "./backend.js";
import type { Effects, EngineContext, Notifier } from "./engine.js";

type Listener<T> = (value: T) => void;

/** Listeners by queue; each registration is its own entry and is removed on its own. */
class QueueListeners<T> {
  readonly #byQueue = new Map<string, Set<Listener<T>>>();

  has(queue: string): boolean {
    return this.#byQueue.has(queue);
  }

  get(queue: string): ReadonlySet<Listener<T>> | undefined {
    return this.#byQueue.get(queue);
  }

  clear(): void {
    this.#byQueue.clear();
  }

  /** Registers `listener`; `onEmpty` runs when the queue's last listener leaves (not after `clear`). */
  add(queue: string, listener: Listener<T>, onEmpty: () => void): () => void {
    let set = this.#byQueue.get(queue);
    if (set === undefined) {
      set = new Set();
      this.#byQueue.set(queue, set);
    }
    const listeners = set;
    // A wrapper per registration, so the same function registered twice unsubscribes separately.
    const entry: Listener<T> = (value) => listener(value);
    listeners.add(entry);
    return () => {
      if (!listeners.delete(entry) || listeners.size > 0 || this.#byQueue.get(queue) !== listeners) return;
      this.#byQueue.delete(queue);
      onEmpty();
    };
  }
}

/** One backend's local listeners and the delivery of effects to them. */
export class Delivery implements EngineContext {
  readonly #wake = new QueueListeners<WakeReason>();
  readonly #subscribers = new QueueListeners<QueueEvent>();
  #notifier: Notifier | undefined;
  /** Per kind and queue with local listeners: stops the notifier's subscription. */
  readonly #listening = new Map<string, () => void>();

  /** Connects the engine's notifier (once the engine exists; it is built with this context). */
  attach(notifier: Notifier): void {
    this.#notifier = notifier;
  }

  wantsEvents(queue: string): boolean {
    return events.hasListeners() || this.#subscribers.has(queue);
  }

  /** Effects of a transition made by this process, after it is durable. */
  deliver(queue: string, effects: Effects | undefined): void {
    if (effects === undefined) return;
    const list = effects.events;
    if (list !== undefined && list.length > 0) {
      const subs = this.#subscribers.get(queue);
      for (const event of list) {
        emitLocal(event.name, event.payload);
        if (subs) for (const listener of subs) safeCall(listener, event);
      }
    }
    this.#wakeUp(queue, effects.wakes);
    if (effects.others !== undefined)
      for (const other of effects.others) this.deliver(other.queue, other.effects);
  }

  received(queue: string, effects: Effects): void {
    const list = effects.events;
    const subs = this.#subscribers.get(queue);
    if (list !== undefined && subs !== undefined) {
      for (const event of list) for (const listener of subs) safeCall(listener, event);
    }
    this.#wakeUp(queue, effects.wakes);
    if (effects.others !== undefined)
      for (const other of effects.others) this.received(other.queue, other.effects);
  }

  #wakeUp(queue: string, reasons: readonly WakeReason[] | undefined): void {
    if (reasons === undefined || reasons.length === 0) return;
    const listeners = this.#wake.get(queue);
    if (listeners === undefined) return;
    for (const reason of reasons) for (const listener of listeners) safeCall(listener, reason);
  }

  onWake(queue: string, listener: Listener<WakeReason>): () => void {
    return this.#add(this.#wake, "wake", queue, listener);
  }

  subscribe(queue: string, listener: Listener<QueueEvent>): () => void {
    return this.#add(this.#subscribers, "events", queue, listener);
  }

  #add<T>(
    listeners: QueueListeners<T>,
    kind: "wake" | "events",
    queue: string,
    listener: Listener<T>,
  ): () => void {
    const key = `${kind} ${queue}`;
    if (!listeners.has(queue) && this.#notifier) this.#listening.set(key, this.#notifier.listen(queue, kind));
    return listeners.add(queue, listener, () => {
      this.#listening.get(key)?.();
      this.#listening.delete(key);
    });
  }

  /** Drops every listener (the engine's owner closes the notifier). */
  clear(): void {
    this.#wake.clear();
    this.#subscribers.clear();
    this.#listening.clear();
  }
}

/** Calls a listener; a throwing listener never breaks the transition that notified it, nor the caller. */
function safeCall<T>(listener: Listener<T>, value: T): void {
  try {
    listener(value);
  } catch (err) {
    log().warn("a wake-up or subscribe listener threw; the backend goes on", { err });
  }
}
