import { compareVersions, decodeRecord, encodeRecord, recordItem } from '../src/storage/record-codec';

describe('record codec', () => {
  it('round-trips an item with its version and size', () => {
    const item = { id: { S: 'a' }, n: { N: '1.5' } };
    const record = decodeRecord(encodeRecord({ term: 3, seq: 1_700_000_000_000_123 }, item, 42));
    expect(record).toMatchObject({ tombstone: false, version: { term: 3, seq: 1_700_000_000_000_123 }, sizeBytes: 42 });
    expect(recordItem(record)).toEqual(item);
  });

  it('encodes a delete as a tombstone without an item', () => {
    const record = decodeRecord(encodeRecord({ term: 1, seq: 5 }, undefined, 99));
    expect(record.tombstone).toBe(true);
    expect(record.sizeBytes).toBe(0);
    expect(recordItem(record)).toBeUndefined();
  });

  it('orders versions by term, then sequence', () => {
    expect(compareVersions({ term: 2, seq: 1 }, { term: 1, seq: 9 })).toBeGreaterThan(0);
    expect(compareVersions({ term: 1, seq: 1 }, { term: 1, seq: 2 })).toBeLessThan(0);
    expect(compareVersions({ term: 1, seq: 2 }, { term: 1, seq: 2 })).toBe(0);
  });
});
