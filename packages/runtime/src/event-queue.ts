/** One queued event: its time, its place in insertion order (the tie-break), and what it carries. */
interface Entry<T> {
  readonly atMs: number;
  readonly seq: number;
  readonly value: T;
}

/**
 * A binary min-heap of timed events; ties break by insertion order, so runs are deterministic
 * (the order events leave in depends only on their times and insertion order, not on the heap's
 * layout). It sifts with a hole rather than swapping pairs: a destructuring swap allocated an
 * array per level, and the simulator pushes and pops an entry for every event and every timer.
 */
export class EventQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(atMs: number, value: T): void {
    const heap = this.heap;
    const entry: Entry<T> = { atMs, seq: this.seq++, value };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (!before(entry, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.atMs : Infinity;
  }

  /** The earliest entry (its `atMs` and `value`), removed; undefined when empty. */
  pop(): { readonly atMs: number; readonly value: T } | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before<T>(x: Entry<T>, y: Entry<T>): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
}
