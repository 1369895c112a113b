import { createExpressionContext, parseCondition, parseUpdate, type Item } from '@triad/model';
import { applyItemOp } from '../src/apply-item-op';

const condition = (text: string, values?: Record<string, unknown>) =>
  parseCondition('ConditionExpression', text, createExpressionContext(undefined, values as never));
const update = (text: string, values?: Record<string, unknown>) => parseUpdate(text, createExpressionContext(undefined, values as never));
const key: Item = { id: { S: 'k' } };

describe('applyItemOp', () => {
  it('returns the item for a read and writes nothing', () => {
    const item = { ...key, v: { N: '1' } };
    expect(applyItemOp('OP_KIND_GET', {}, item)).toEqual({ result: { item } });
    expect(applyItemOp('OP_KIND_GET', {}, undefined)).toEqual({ result: {} });
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
});
