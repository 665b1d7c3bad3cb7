/** An entry ordered by `at`, then by `seq` (insertion order among equal times). */
export interface HeapEntry {
  at: number;
  seq: number;
}

/**
 * A binary min-heap on `(at, seq)`. Specialised to that key rather than taking a comparator so
 * that push/pop stay cheap on the hot path.
 */
export class MinHeap<E extends HeapEntry> {
  #items: E[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): E | undefined {
    return this.#items[0];
  }

  push(entry: E): void {
    const items = this.#items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as E;
      if (!less(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): E | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    this.#siftDown(0);
    return top;
  }

  /** Keeps only the entries for which `keep` holds, and restores heap order in O(n). */
  filter(keep: (entry: E) => boolean): void {
    const items = this.#items.filter(keep);
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  clear(): void {
    this.#items = [];
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[start] as E;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && less(items[right] as E, items[left] as E)) child = right;
      const c = items[child] as E;
      if (!less(c, entry)) break;
      items[i] = c;
      i = child;
    }
    items[i] = entry;
  }
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
