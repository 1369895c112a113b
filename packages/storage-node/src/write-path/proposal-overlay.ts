/**
 * A leader's writes that are in its log but not yet applied, by key: the next read-modify-write of
 * a key decides on them (they commit before it or not at all — a log is committed in order), while
 * reads serve only applied state. Entries leave once applied, and all of a partition's go when the
 * node becomes leader anew or its log is truncated.
 */
export class ProposalOverlay {
  private readonly byPartition = new Map<number, Map<string, { index: number; value: Buffer; applied: Promise<void> }>>();

  get(partition: number, key: Buffer): Buffer | undefined {
    return this.byPartition.get(partition)?.get(key.toString('latin1'))?.value;
  }

  /**
   * The outcome of the write still in the log that holds the key, if any: an answer decided on it
   * without a write of its own (a condition that failed, a delete of what that write deleted) must
   * wait for it to be applied, and is void if it never is (it resolves or rejects with that write).
   */
  pendingWrite(partition: number, key: Buffer): Promise<void> | undefined {
    return this.byPartition.get(partition)?.get(key.toString('latin1'))?.applied;
  }

  set(partition: number, key: Buffer, index: number, value: Buffer, applied: Promise<void>): void {
    let keys = this.byPartition.get(partition);
    if (!keys) this.byPartition.set(partition, (keys = new Map()));
    keys.set(key.toString('latin1'), { index, value, applied });
  }

  /** Whether the partition has writes here that are not applied yet (only a leader does). */
  holds(partition: number): boolean {
    return (this.byPartition.get(partition)?.size ?? 0) > 0;
  }

  /** The entry at `index` was applied: its keys read from the state again, unless a later write holds them. */
  applied(partition: number, index: number, keys: readonly Buffer[]): void {
    const pending = this.byPartition.get(partition);
    if (!pending) return;
    for (const key of keys) {
      const name = key.toString('latin1');
      if (pending.get(name)?.index === index) pending.delete(name);
    }
  }

  clear(partition: number): void {
    this.byPartition.delete(partition);
  }
}
