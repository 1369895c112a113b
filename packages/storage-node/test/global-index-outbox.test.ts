import { decodeRecord, recordItem } from '../src/storage/record-codec';
import type { IndexWrite } from '../src/indexes/index-writes';
import { OUTBOX_PREFIX, itemKeyOfOutbox, mergeOutbox, outboxDeliveries, outboxKeyOf } from '../src/indexes/global-index-outbox';

const entry = (key: string, partition: number, item?: Record<string, { S: string }>): IndexWrite => ({
  index: 'byEmail',
  partition,
  key: Buffer.from(key),
  item,
  sizeBytes: item ? 10 : 0,
  units: 1,
});
const v = (seq: number) => ({ term: 1, seq });

describe('global index outbox', () => {
  it('keys an outbox by its item, apart from any table', () => {
    const itemKey = Buffer.from('0123456789abcdefpk', 'latin1');
    const outboxKey = outboxKeyOf(itemKey);
    expect(outboxKey.subarray(0, 8)).toEqual(OUTBOX_PREFIX);
    expect(itemKeyOfOutbox(outboxKey)).toEqual(itemKey);
  });

  it("merges a change into what is pending: this change's entries win, the rest stay", () => {
    // Pending: the item entered the index at key a. Then it moved to b: a tombstone at a, the entry at b.
    const pending = mergeOutbox(undefined, [entry('a', 1, { e: { S: 'a' } })], v(10));
    const merged = mergeOutbox(pending, [entry('a', 1), entry('b', 2, { e: { S: 'b' } })], v(20));
    expect(merged.version).toEqual(v(20));
    expect(merged.entries).toEqual([
      { partition: 1, key: Buffer.from('a').toString('base64'), sizeBytes: 0 },
      { partition: 2, key: Buffer.from('b').toString('base64'), item: { e: { S: 'b' } }, sizeBytes: 10 },
    ]);
    // A change that does not touch the index keeps the pending entry, delivered at the newer version.
    const untouched = mergeOutbox(merged, [], v(30));
    expect(untouched.entries).toEqual(merged.entries);
    expect(untouched.version).toEqual(v(30));
  });

  it('delivers every entry at the outbox version, tombstones included', () => {
    const outbox = mergeOutbox(undefined, [entry('a', 1), entry('b', 2, { e: { S: 'b' } })], v(42));
    const deliveries = outboxDeliveries(outbox);
    expect(deliveries.map((d) => [d.partition, d.key.toString()])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    const [tombstone, put] = deliveries.map((d) => decodeRecord(d.value));
    expect(tombstone).toMatchObject({ tombstone: true, version: v(42) });
    expect(put).toMatchObject({ tombstone: false, version: v(42), sizeBytes: 10 });
    expect(recordItem(put)).toEqual({ e: { S: 'b' } });
  });
});
