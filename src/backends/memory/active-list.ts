/**
 * A queue's `active` jobs, in the order they became active (recoverStalled reads them in that
 * order): a doubly linked list threaded through the jobs themselves. Every job enters and leaves
 * it once per attempt, and a Set costs a hash lookup each time and reallocates its table as entries
 * come and go (~7% of a busy memory worker's time); here both are a few pointer writes.
 */
import type { StoredJob } from "./stored-job.js";

export class ActiveList implements Iterable<StoredJob> {
  #head: StoredJob | undefined = undefined;
  #tail: StoredJob | undefined = undefined;

  /** Appends `job`; nothing if it is listed already. */
  add(job: StoredJob): void {
    if (this.#has(job)) return;
    job.prevActive = this.#tail;
    job.nextActive = undefined;
    if (this.#tail === undefined) this.#head = job;
    else this.#tail.nextActive = job;
    this.#tail = job;
  }

  /** Unlinks `job`; nothing if it is not listed. */
  delete(job: StoredJob): void {
    if (!this.#has(job)) return;
    const { prevActive: prev, nextActive: next } = job;
    if (prev === undefined) this.#head = next;
    else prev.nextActive = next;
    if (next === undefined) this.#tail = prev;
    else next.prevActive = prev;
    job.prevActive = undefined;
    job.nextActive = undefined;
  }

  *[Symbol.iterator](): Iterator<StoredJob> {
    for (let job = this.#head; job !== undefined; job = job.nextActive) yield job;
  }

  #has(job: StoredJob): boolean {
    return job.prevActive !== undefined || this.#head === job;
  }
}
