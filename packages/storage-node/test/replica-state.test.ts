import { ReplicaState } from '../src/replica/replica-state';
import { encodeRecord } from '../src/storage/record-codec';
import { MemoryDisk } from '../src/storage/memory-disk';
import { MemoryStore } from '../src/storage/memory-store';

const PARTITION = 3;
const item = (name: string) => Buffer.from(name);
const record = (seq: number) => encodeRecord({ term: 1, seq }, { v: { N: String(seq) } }, 10);

async function openState(): Promise<ReplicaState> {
  const store = new MemoryStore(new MemoryDisk());
  await store.open();
  const state = new ReplicaState(store, 4, (message, error) => {
    throw new Error(`${message}: ${String(error)}`);
  });
  await state.load();
  return state;
}

/** The tree of a fresh ReplicaState loaded from the same disk: what the records say. */
const rootOf = (state: ReplicaState) => state.tree(PARTITION).root();

describe('ReplicaState clears and rebuilds with no write of the partition in progress', () => {
  it('a clear waits for a write under way to land, and a write that comes during the clear waits for it', async () => {
    const state = await openState();
    await state.applyIfNewer(PARTITION, item('kept-out'), record(1));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    // A write holding the key's lock while the clear is asked for.
    const writing = state.withKey(PARTITION, item('early'), async (key) => {
      await held;
      await state.stage(PARTITION, key, record(2), undefined, false);
      order.push('early write landed');
    });
    const clearing = state.clearRanges(PARTITION, [{ start: Buffer.from([0x64, 0, PARTITION]), end: Buffer.from([0x64, 0, PARTITION + 1]) }]).then((left) => {
      order.push(`cleared (${left} left)`);
    });
    const late = state.applyIfNewer(PARTITION, item('late'), record(3)).then(() => order.push('late write applied'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await Promise.all([writing, clearing, late]);
    expect(order).toEqual(['early write landed', 'cleared (0 left)', 'late write applied']);
    // The tree describes the disk: only the late write.
    const expected = await openState();
    await expected.applyIfNewer(PARTITION, item('late'), record(3));
    expect(rootOf(state)).toBe(rootOf(expected));
  });
});
