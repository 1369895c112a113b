import { encodeKeyValue, indexEntryKey, type KeySchema } from '@triad/model';
import type { IndexSpec } from '@triad/rpc';
import { deriveIndexWrites as deriveIndexWritesIn } from '../src/indexes/index-writes';

/** A global entry's partition: the first byte of its encoded index partition key, to tell entries apart. */
const partitionOf = (encoded: Uint8Array) => encoded[0];
const deriveIndexWrites = (...args: Parameters<typeof deriveIndexWritesIn> extends [...infer Head, unknown] ? Head : never) => deriveIndexWritesIn(...args, partitionOf);

const table: KeySchema = { partitionKey: { name: 'pk', type: 'S' } };
const gsi: IndexSpec = {
  name: 'byEmail',
  id: 'aaaaaaaaaaaaaaaa',
  keySchema: { partitionKey: { name: 'email', type: 'S' } },
  projectedAttributes: ['pk', 'email'],
};
const lsiLike: IndexSpec = { ...gsi, name: 'local', id: 'bbbbbbbbbbbbbbbb', local: true };
const entryKey = (spec: IndexSpec, email: string) =>
  indexEntryKey(Buffer.from(spec.id, 'hex'), spec.keySchema, table, { pk: { S: 'u1' }, email: { S: email } })!;

describe('deriveIndexWrites', () => {
  it('writes the projected entry of a new item', () => {
    const writes = deriveIndexWrites([gsi], table, undefined, { pk: { S: 'u1' }, email: { S: 'a@x' }, name: { S: 'Ann' } });
    expect(writes).toEqual([{ index: 'byEmail', partition: partitionOf(encodeKeyValue('S', { S: 'a@x' })), key: entryKey(gsi, 'a@x'), item: { pk: { S: 'u1' }, email: { S: 'a@x' } }, sizeBytes: 2 + 2 + 5 + 3, units: 1 }]);
  });

  it('writes nothing for items outside the index', () => {
    expect(deriveIndexWrites([gsi], table, undefined, { pk: { S: 'u1' } })).toEqual([]);
    expect(deriveIndexWrites([gsi], table, { pk: { S: 'u1' } }, { pk: { S: 'u1' }, n: { N: '1' } })).toEqual([]);
  });

  it('moves an entry when its index key changes: a tombstone at the old key, the entry at the new', () => {
    const writes = deriveIndexWrites([gsi], table, { pk: { S: 'u1' }, email: { S: 'a@x' } }, { pk: { S: 'u1' }, email: { S: 'b@x' } });
    expect(writes.map((w) => [w.key, w.item !== undefined])).toEqual([
      [entryKey(gsi, 'a@x'), false],
      [entryKey(gsi, 'b@x'), true],
    ]);
  });

  it('overwrites the entry in place when the index key stays and a projected attribute changes', () => {
    const withName: IndexSpec = { ...gsi, projectedAttributes: ['pk', 'email', 'name'] };
    const writes = deriveIndexWrites([withName], table, { pk: { S: 'u1' }, email: { S: 'a@x' } }, { pk: { S: 'u1' }, email: { S: 'a@x' }, name: { S: 'B' } });
    expect(writes.map((w) => [w.key, w.units])).toEqual([[entryKey(gsi, 'a@x'), 1]]);
  });

  it('leaves a global entry alone when no projected attribute changes; a local one is rewritten free', () => {
    const before = { pk: { S: 'u1' }, email: { S: 'a@x' } };
    const after = { ...before, n: { N: '1' } };
    expect(deriveIndexWrites([gsi], table, before, after)).toEqual([]);
    expect(deriveIndexWrites([lsiLike], table, before, after).map((w) => [w.item, w.units])).toEqual([[after, 0]]);
  });

  it('leaves a tombstone when the item is deleted or loses its index key', () => {
    const before = { pk: { S: 'u1' }, email: { S: 'a@x' } };
    const tombstone = { index: 'byEmail', partition: partitionOf(encodeKeyValue('S', { S: 'a@x' })), key: entryKey(gsi, 'a@x'), item: undefined, sizeBytes: 0, units: 1 };
    expect(deriveIndexWrites([gsi], table, before, undefined)).toEqual([tombstone]);
    expect(deriveIndexWrites([gsi], table, before, { pk: { S: 'u1' } })).toEqual([tombstone]);
  });

  it('keeps the whole item in a local index entry, sized by its projection', () => {
    const item = { pk: { S: 'u1' }, email: { S: 'a@x' }, name: { S: 'Ann' } };
    const [write] = deriveIndexWrites([lsiLike], table, undefined, item);
    expect(write.item).toEqual(item);
    expect(write.sizeBytes).toBe(2 + 2 + 5 + 3);
  });
});
