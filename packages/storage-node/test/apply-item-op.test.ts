import { createExpressionContext, parseCondition, parseUpdate, type Item } from '@triad/model';
import { applyItemOp as applyItemOpIn } from '../src/write-path/apply-item-op';

/** Every global index entry in partition 7: where entries go is index-writes' concern. */
const applyItemOp = (...args: Parameters<typeof applyItemOpIn> extends [...infer Head, unknown] ? Head : never) => applyItemOpIn(...args, () => 7);

const condition = (text: string, values?: Record<string, unknown>) =>
  parseCondition('ConditionExpression', text, createExpressionContext(undefined, values as never));
const update = (text: string, values?: Record<string, unknown>) => parseUpdate(text, createExpressionContext(undefined, values as never));
const key: Item = { id: { S: 'k' } };

describe('applyItemOp', () => {
  it('returns the item for a read and writes nothing', () => {
    const item = { ...key, v: { N: '1' } };
    expect(applyItemOp('OP_KIND_GET', {}, item)).toEqual({ result: { item }, indexWrites: [] });
    expect(applyItemOp('OP_KIND_GET', {}, undefined)).toEqual({ result: {}, indexWrites: [] });
  });

  it('puts when the condition holds and refuses with the old item when asked', () => {
    const put = { item: { ...key, v: { N: '2' } }, condition: condition('attribute_not_exists(id)'), returnOldOnConditionFailure: true };
    expect(applyItemOp('OP_KIND_PUT', put, undefined).write?.item).toEqual(put.item);
    const old = { ...key, v: { N: '1' } };
    try {
      applyItemOp('OP_KIND_PUT', put, old);
      throw new Error('expected a conditional check failure');
    } catch (error) {
      expect((error as Error).name).toBe('ConditionalCheckFailedException');
      expect((error as { item?: Item }).item).toEqual(old);
    }
  });

  it('deletes an existing item as a tombstone and leaves a missing one alone', () => {
    expect(applyItemOp('OP_KIND_DELETE', { returnOld: true }, { ...key })).toEqual({
      write: { item: undefined, sizeBytes: 0 },
      result: { old: key },
      indexWrites: [],
    });
    expect(applyItemOp('OP_KIND_DELETE', {}, undefined).write).toBeUndefined();
  });

  it('updates from the key when the item does not exist, and returns the new item', () => {
    const outcome = applyItemOp('OP_KIND_UPDATE', { item: key, update: update('SET c = :one', { ':one': { N: '1' } }), returnNew: true }, undefined);
    expect(outcome.result.new).toEqual({ ...key, c: { N: '1' } });
  });

  it('adds exactly to a counter', () => {
    const outcome = applyItemOp(
      'OP_KIND_UPDATE',
      { item: key, update: update('SET c = c + :d', { ':d': { N: '0.1' } }), returnNew: true },
      { ...key, c: { N: '9999999999999999999999999999999999999' } },
    );
    expect(outcome.result.new?.c).toEqual({ N: '9999999999999999999999999999999999999.1' });
  });

  it('refuses an update whose result is over 400 KB', () => {
    const big = 'x'.repeat(300 * 1024);
    expect(() =>
      applyItemOp('OP_KIND_UPDATE', { item: key, update: update('SET b = :b', { ':b': { S: big } }) }, { ...key, a: { S: big } }),
    ).toThrow('Item size to update has exceeded the maximum allowed size');
  });

  describe('with secondary indexes', () => {
    const indexes = [{ name: 'byV', id: '0102030405060708', keySchema: { partitionKey: { name: 'v', type: 'N' as const } } }];
    const tableKeySchema = { partitionKey: { name: 'id', type: 'S' as const } };

    it('derives the index entries of a write', () => {
      const outcome = applyItemOp('OP_KIND_PUT', { item: { ...key, v: { N: '2' } }, indexes, tableKeySchema }, { ...key, v: { N: '1' } });
      expect(outcome.indexWrites.map((w) => w.item)).toEqual([undefined, { ...key, v: { N: '2' } }]);
    });

    it("refuses an update whose result has a mistyped index key, with DynamoDB's message", () => {
      expect(() =>
        applyItemOp('OP_KIND_UPDATE', { item: key, update: update('SET v = :s', { ':s': { S: 'x' } }), indexes, tableKeySchema }, undefined),
      ).toThrow('One or more parameter values were invalid: Type mismatch for Index Key v Expected: N Actual: S IndexName: byV');
    });

    it('re-indexes the current item without writing it', () => {
      const outcome = applyItemOp('OP_KIND_REINDEX', { indexes, tableKeySchema }, { ...key, v: { N: '7' } });
      expect(outcome.write).toBeUndefined();
      expect(outcome.indexWrites).toHaveLength(1);
      expect(applyItemOp('OP_KIND_REINDEX', { indexes, tableKeySchema }, undefined).indexWrites).toEqual([]);
    });

    it('re-indexing with stale entries tombstones those the item no longer writes', () => {
      const current = applyItemOp('OP_KIND_REINDEX', { indexes, tableKeySchema }, { ...key, v: { N: '7' } }).indexWrites[0];
      const left = { index: 'byV', partition: 3, key: Buffer.from('left-behind').toString('base64') };
      const same = { index: 'byV', partition: 7, key: current.key.toString('base64') };
      const outcome = applyItemOp('OP_KIND_REINDEX', { indexes, tableKeySchema, staleEntries: [left, same, left] }, { ...key, v: { N: '7' } });
      expect(outcome.indexWrites.map((w) => [w.partition, w.key.toString(), w.item === undefined])).toEqual([
        [7, current.key.toString(), false],
        [3, 'left-behind', true],
      ]);
      // An item that is gone (a tombstone, or never written) keeps none of its entries.
      expect(applyItemOp('OP_KIND_REINDEX', { indexes, tableKeySchema, staleEntries: [same] }, undefined).indexWrites).toEqual([
        { index: 'byV', partition: 7, key: current.key, item: undefined, sizeBytes: 0, units: 0 },
      ]);
    });
  });
});
