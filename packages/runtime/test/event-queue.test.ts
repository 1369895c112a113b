import { EventQueue } from '../src/event-queue';
import { Prng } from '../src/prng';

/** The naive twin: a list kept in (time, insertion) order by a stable sort. */
class SortedList<T> {
  private items: { atMs: number; seq: number; value: T }[] = [];
  private seq = 0;
  push(atMs: number, value: T): void {
    this.items.push({ atMs, seq: this.seq++, value });
    this.items.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }
  pop(): { atMs: number; value: T } | undefined {
    return this.items.shift();
  }
  peekTime(): number {
    return this.items[0]?.atMs ?? Infinity;
  }
}

describe('EventQueue', () => {
  it('pops in time order, ties in insertion order, as a sorted list does', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = new Prng(seed);
      const queue = new EventQueue<number>();
      const twin = new SortedList<number>();
      let next = 0;
      const got: string[] = [];
      const want: string[] = [];
      for (let op = 0; op < 400; op++) {
        if (random.next() < 0.6) {
          // Few distinct times, so that ties are common (as deliveries at one instant are).
          const atMs = random.int(0, 12);
          queue.push(atMs, next);
          twin.push(atMs, next++);
        } else {
          const a = queue.pop();
          const b = twin.pop();
          got.push(a ? `${a.atMs}:${a.value}` : '-');
          want.push(b ? `${b.atMs}:${b.value}` : '-');
        }
        got.push(`peek ${queue.peekTime()}`);
        want.push(`peek ${twin.peekTime()}`);
      }
      expect([seed, got]).toEqual([seed, want]);
    }
  });

  it('is empty when everything popped', () => {
    const queue = new EventQueue<string>();
    queue.push(5, 'a');
    queue.push(5, 'b');
    expect([queue.pop()?.value, queue.pop()?.value, queue.pop()]).toEqual(['a', 'b', undefined]);
    expect(queue.peekTime()).toBe(Infinity);
  });
});
