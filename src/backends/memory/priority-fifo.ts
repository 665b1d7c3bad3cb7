/**
 * A FIFO of items tagged with a sequence number, as two parallel arrays with a moving head so
 * that push and shift are O(1) without allocating an object per item.
 */
export class Fifo<T> {
  #items: T[] = [];
  #seqs: number[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T, seq: number): void {
    this.#items.push(item);
    this.#seqs.push(seq);
  }

  /** The oldest item, or undefined when empty. */
  peekItem(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** The sequence number of the oldest item (only meaningful when not empty). */
  peekSeq(): number {
    return this.#seqs[this.#head] as number;
  }

  shift(): void {
    const items = this.#items;
    // Drop the reference so the item can be collected, then compact once the dead prefix dominates.
    (items as Array<T | undefined>)[this.#head] = undefined;
    this.#head++;
    if (this.#head === items.length) {
      this.clear();
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Keeps only the items for which `keep` holds, in order. */
  filter(keep: (item: T, seq: number) => boolean): void {
    const items: T[] = [];
    const seqs: number[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      const seq = this.#seqs[i] as number;
      if (keep(item, seq)) {
        items.push(item);
        seqs.push(seq);
      }
    }
    this.#items = items;
    this.#seqs = seqs;
    this.#head = 0;
  }

  clear(): void {
    this.#items = [];
    this.#seqs = [];
    this.#head = 0;
  }
}

/**
 * Items by priority (lower first), FIFO within a priority: one {@link Fifo} per distinct priority
 * plus a sorted list of the priorities in use. The number of distinct priorities is small, so
 * keeping that list sorted costs next to nothing.
 *
 * Removal is lazy: the owner decides with `isLive(item, seq)` whether an entry still counts, and
 * stale entries are dropped when they reach the head.
 */
export class PriorityFifo<T> {
  #buckets = new Map<number, Fifo<T>>();
  #priorities: number[] = [];
  #size = 0;

  /** Entries held, stale ones included. */
  get size(): number {
    return this.#size;
  }

  constructor(private readonly isLive: (item: T, seq: number) => boolean) {}

  push(item: T, priority: number, seq: number): void {
    let bucket = this.#buckets.get(priority);
    if (bucket === undefined) {
      bucket = new Fifo<T>();
      this.#buckets.set(priority, bucket);
      insertSorted(this.#priorities, priority);
    }
    bucket.push(item, seq);
    this.#size++;
  }

  /** Removes and returns the live item with the lowest priority and sequence, or undefined. */
  shift(): T | undefined {
    while (this.#priorities.length > 0) {
      const priority = this.#priorities[0] as number;
      const bucket = this.#buckets.get(priority) as Fifo<T>;
      for (let item = bucket.peekItem(); item !== undefined; item = bucket.peekItem()) {
        const live = this.isLive(item, bucket.peekSeq());
        bucket.shift();
        this.#size--;
        if (live) {
          if (bucket.length === 0) this.#dropFirst(priority);
          return item;
        }
      }
      this.#dropFirst(priority);
    }
    return undefined;
  }

  /** Drops every stale entry now, keeping order. */
  compact(): void {
    this.#size = 0;
    for (const [priority, bucket] of this.#buckets) {
      bucket.filter(this.isLive);
      if (bucket.length === 0) {
        this.#buckets.delete(priority);
        this.#priorities.splice(this.#priorities.indexOf(priority), 1);
      }
      this.#size += bucket.length;
    }
  }

  clear(): void {
    this.#buckets.clear();
    this.#priorities = [];
    this.#size = 0;
  }

  #dropFirst(priority: number): void {
    this.#buckets.delete(priority);
    this.#priorities.shift();
  }
}

function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}
