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
    [this.#items, this.#seqs] = kept(this.#items, this.#seqs, this.#head, keep);
    this.#head = 0;
  }

  clear(): void {
    this.#items = [];
    this.#seqs = [];
    this.#head = 0;
  }
}

/**
 * One priority's items: a FIFO, plus a stack in front of it for items pushed to the front (lifo
 * jobs), so that the newest of those comes first. Both ends are O(1).
 */
class Bucket<T> {
  #tail = new Fifo<T>();
  #front: T[] = [];
  #frontSeqs: number[] = [];

  get length(): number {
    return this.#tail.length + this.#front.length;
  }

  push(item: T, seq: number, front: boolean): void {
    if (front) {
      this.#front.push(item);
      this.#frontSeqs.push(seq);
    } else this.#tail.push(item, seq);
  }

  peekItem(): T | undefined {
    const n = this.#front.length;
    return n > 0 ? this.#front[n - 1] : this.#tail.peekItem();
  }

  peekSeq(): number {
    const n = this.#frontSeqs.length;
    return n > 0 ? (this.#frontSeqs[n - 1] as number) : this.#tail.peekSeq();
  }

  shift(): void {
    if (this.#front.length === 0) this.#tail.shift();
    else {
      this.#front.pop();
      this.#frontSeqs.pop();
    }
  }

  filter(keep: (item: T, seq: number) => boolean): void {
    this.#tail.filter(keep);
    [this.#front, this.#frontSeqs] = kept(this.#front, this.#frontSeqs, 0, keep);
  }
}

/**
 * Items by priority (lower first), FIFO within a priority (items pushed to the front first, the
 * newest of them first): one {@link Bucket} per distinct priority plus a sorted list of the
 * priorities in use. The number of distinct priorities is small, so keeping that list sorted costs
 * next to nothing.
 *
 * Removal is lazy: the owner decides with `isLive(item, seq)` whether an entry still counts, and
 * stale entries are dropped when they reach the head.
 */
export class PriorityFifo<T> {
  #buckets = new Map<number, Bucket<T>>();
  #priorities: number[] = [];
  #size = 0;

  /** Entries held, stale ones included. */
  get size(): number {
    return this.#size;
  }

  constructor(private readonly isLive: (item: T, seq: number) => boolean) {}

  /** Adds `item` at the tail of its priority, or at its head when `front` (lifo). */
  push(item: T, priority: number, seq: number, front = false): void {
    let bucket = this.#buckets.get(priority);
    if (bucket === undefined) {
      bucket = new Bucket<T>();
      this.#buckets.set(priority, bucket);
      insertSorted(this.#priorities, priority);
    }
    bucket.push(item, seq, front);
    this.#size++;
  }

  /** Removes and returns the live item with the lowest priority that comes first, or undefined. */
  shift(): T | undefined {
    while (this.#priorities.length > 0) {
      const priority = this.#priorities[0] as number;
      const bucket = this.#buckets.get(priority) as Bucket<T>;
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

/** The pairs of `items` and `seqs` from index `from` on for which `keep` holds, in order. */
function kept<T>(
  items: readonly T[],
  seqs: readonly number[],
  from: number,
  keep: (item: T, seq: number) => boolean,
): [T[], number[]] {
  const outItems: T[] = [];
  const outSeqs: number[] = [];
  for (let i = from; i < items.length; i++) {
    const item = items[i] as T;
    const seq = seqs[i] as number;
    if (keep(item, seq)) {
      outItems.push(item);
      outSeqs.push(seq);
    }
  }
  return [outItems, outSeqs];
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
