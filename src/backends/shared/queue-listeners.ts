/** The onWake / subscribe listeners of a backend, by queue. */

/** Listeners by queue; each registration is its own entry and is removed on its own. */
export class QueueListeners<T> {
  readonly #byQueue = new Map<string, Set<(value: T) => void>>();

  /** How many queues have listeners. */
  get size(): number {
    return this.#byQueue.size;
  }

  has(queue: string): boolean {
    return this.#byQueue.has(queue);
  }

  get(queue: string): ReadonlySet<(value: T) => void> | undefined {
    return this.#byQueue.get(queue);
  }

  keys(): IterableIterator<string> {
    return this.#byQueue.keys();
  }

  values(): IterableIterator<ReadonlySet<(value: T) => void>> {
    return this.#byQueue.values();
  }

  clear(): void {
    this.#byQueue.clear();
  }

  /**
   * Registers `listener` on `queue`; returns its unregistration. `onEmpty` runs when that removes
   * the queue's last listener (not after `clear`). A caller with work to do for a queue's first
   * listener checks `has(queue)` before.
   */
  add(queue: string, listener: (value: T) => void, onEmpty?: () => void): () => void {
    let listeners = this.#byQueue.get(queue);
    if (listeners === undefined) {
      listeners = new Set();
      this.#byQueue.set(queue, listeners);
    }
    // A wrapper per registration, so the same function registered twice unsubscribes separately.
    const entry = (value: T) => listener(value);
    const set = listeners;
    set.add(entry);
    return () => {
      if (!set.delete(entry) || set.size > 0 || this.#byQueue.get(queue) !== set) return;
      this.#byQueue.delete(queue);
      onEmpty?.();
    };
  }
}
