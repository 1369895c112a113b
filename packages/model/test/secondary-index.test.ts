import { checkIndexKeys, indexEntryKey, type KeySchema } from '../src';

const table: KeySchema = { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'N' } };
const byStatus: KeySchema = { partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'score', type: 'N' } };
const id = Buffer.from('00112233445566aa', 'hex');

describe('indexEntryKey', () => {
  it('is undefined when the item lacks an index key attribute (sparse index)', () => {
    expect(indexEntryKey(id, byStatus, table, { pk: { S: 'a' }, sk: { N: '1' }, status: { S: 'x' } })).toBeUndefined();
    expect(indexEntryKey(id, byStatus, table, { pk: { S: 'a' }, sk: { N: '1' }, score: { N: '3' } })).toBeUndefined();
  });

  it('is undefined for a wrongly typed or empty index key', () => {
    expect(indexEntryKey(id, byStatus, table, { pk: { S: 'a' }, sk: { N: '1' }, status: { N: '1' }, score: { N: '3' } })).toBeUndefined();
    expect(indexEntryKey(id, byStatus, table, { pk: { S: 'a' }, sk: { N: '1' }, status: { S: '' }, score: { N: '3' } })).toBeUndefined();
  });

  it('orders entries by index key, then by table key', () => {
    const key = (status: string, score: string, pk: string) =>
      indexEntryKey(id, byStatus, table, { pk: { S: pk }, sk: { N: '1' }, status: { S: status }, score: { N: score } })!;
    const sorted = [key('b', '1', 'z'), key('a', '10', 'a'), key('a', '-5', 'q'), key('a', '10', 'b'), key('a', '2', 'a')].sort(Buffer.compare);
    expect(sorted).toEqual([key('a', '-5', 'q'), key('a', '2', 'a'), key('a', '10', 'a'), key('a', '10', 'b'), key('b', '1', 'z')]);
    expect(sorted.every((k) => k.subarray(0, 8).equals(id))).toBe(true);
  });
});

describe('checkIndexKeys', () => {
  const indexes = [
    { name: 'zeta', keySchema: byStatus },
    { name: 'alpha', keySchema: { partitionKey: { name: 'status', type: 'S' as const } } },
  ];

  it('accepts items without index keys or with well typed ones', () => {
    expect(() => checkIndexKeys(indexes, { pk: { S: 'a' } }, 'item')).not.toThrow();
    expect(() => checkIndexKeys(indexes, { status: { S: 'x' }, score: { N: '2' } }, 'item')).not.toThrow();
  });

  it("names the alphabetically first index in DynamoDB's type mismatch message", () => {
    expect(() => checkIndexKeys(indexes, { status: { N: '1' } }, 'item')).toThrow(
      'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: alpha',
    );
    expect(() => checkIndexKeys(indexes, { score: { S: '1' } }, 'update')).toThrow(
      'One or more parameter values were invalid: Type mismatch for Index Key score Expected: N Actual: S IndexName: zeta',
    );
  });

  it('words an empty index key by where it came from', () => {
    expect(() => checkIndexKeys(indexes, { status: { S: '' } }, 'item')).toThrow(
      'One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: alpha, IndexKey: status',
    );
    expect(() => checkIndexKeys(indexes, { status: { S: '' } }, 'update')).toThrow(
      'One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.',
    );
  });
});
