import { encodeKeyValue, type KeySchema } from '@triad/model';
import { COLLECTION_PREFIX, collectionKeyOf, collectionSizeAfter } from '../src/indexes/item-collection';

const table: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } };
const tableId = Buffer.from('0011223344556677', 'hex');
const itemKey = (pk: string, sk: string) => Buffer.concat([tableId, encodeKeyValue('S', { S: pk }), encodeKeyValue('N', { N: sk })]);

describe('item collections', () => {
  it('keys a collection by table and partition key, whatever the sort key', () => {
    const key = collectionKeyOf(itemKey('user#1', '5'), table);
    expect(key).toEqual(Buffer.concat([COLLECTION_PREFIX, tableId, encodeKeyValue('S', { S: 'user#1' })]));
    expect(collectionKeyOf(itemKey('user#1', '-7.5'), table)).toEqual(key);
    expect(collectionKeyOf(itemKey('user#10', '5'), table)).not.toEqual(key);
  });

  it('refuses growth past the limit but never a write that shrinks the collection', () => {
    expect(collectionSizeAfter(90, 10, 100)).toBe(100);
    expect(() => collectionSizeAfter(90, 11, 100)).toThrow(expect.objectContaining({ name: 'ItemCollectionSizeLimitExceededException' }));
    expect(collectionSizeAfter(150, -10, 100)).toBe(140);
    expect(collectionSizeAfter(150, 0, 100)).toBe(150);
    expect(collectionSizeAfter(5, -10, 100)).toBe(0);
  });
});
