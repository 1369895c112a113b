/**
 * Serialises work per key: the leader's read-modify-write of one item (condition check, update
 * expression) runs one at a time per key, while different keys run concurrently.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Work queued or running per key (a hot key's queue is refused past a bound; see limits.ts). */
  private readonly queued = new Map<string, number>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    this.queued.set(key, (this.queued.get(key) ?? 0) + 1);
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    tail.then(() => {
      const left = this.queued.get(key)! - 1;
      if (left === 0) this.queued.delete(key);
      else this.queued.set(key, left);
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** How much work is queued or running on the key. */
  queuedOn(key: string): number {
    return this.queued.get(key) ?? 0;
  }
}
