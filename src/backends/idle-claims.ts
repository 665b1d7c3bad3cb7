/**
 * The idle claim loops of this process, per queue, that an enqueue sent here may claim for
 * (`Backend.offerIdleClaim`): the first loop that takes a batch gets its claim made with it.
 */
import type { HandOff, IdleClaimer } from "./backend.js";

export class IdleClaims {
  readonly #byQueue = new Map<string, IdleClaimer[]>();

  /** Registers `claimer` for `queue`; returns its withdrawal. */
  offer(queue: string, claimer: IdleClaimer): () => void {
    const list = this.#byQueue.get(queue) ?? [];
    list.push(claimer);
    this.#byQueue.set(queue, list);
    return () => {
      const at = list.indexOf(claimer);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && this.#byQueue.get(queue) === list) this.#byQueue.delete(queue);
    };
  }

  /** The claim of the first idle loop of `queue` that takes `count` new jobs, or null. */
  take(queue: string, count: number): HandOff | null {
    for (const claimer of this.#byQueue.get(queue) ?? []) {
      const handOff = claimer.take(count);
      if (handOff !== null) return handOff;
    }
    return null;
  }
}
