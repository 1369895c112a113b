import { applyUpdate } from '../../src/expressions';
import { attributeUpdatesToUpdate, type AttributeUpdates } from '../../src/legacy';
import type { AttributeValue, Item } from '../../src/types';
import { INVALID, expectValidation, sample } from './helpers';

const apply = (updates: AttributeUpdates, item: Item | undefined = sample()): Item => applyUpdate(attributeUpdatesToUpdate(updates), item).item;

describe('attributeUpdatesToUpdate', () => {
  it('PUT (the default action) sets the attribute', () => {
    expect(attributeUpdatesToUpdate({ a: { Action: 'PUT', Value: { S: 'x' } } })).toEqual({
      set: [{ path: ['a'], value: { type: 'value', value: { S: 'x' } } }],
      remove: [],
      add: [],
      delete: [],
    });
    expect(apply({ n: { Value: { S: 'now a string' } } }).n).toEqual({ S: 'now a string' });
    expect(apply({ 'x.y': { Action: 'PUT', Value: { N: '1' } } })['x.y']).toEqual({ N: '1' });
  });

  it('DELETE without a value removes the attribute', () => {
    const item = apply({ s: { Action: 'DELETE' }, missing: { Action: 'DELETE' } });
    expect(item.s).toBeUndefined();
    expect(item.n).toEqual({ N: '5' });
  });

  it('DELETE with a set removes members, and the attribute when none are left', () => {
    expect(apply({ ss: { Action: 'DELETE', Value: { SS: ['cat'] } } }).ss).toEqual({ SS: ['dog'] });
    expect(apply({ ss: { Action: 'DELETE', Value: { SS: ['cat', 'dog'] } } }).ss).toBeUndefined();
    expect(apply({ missing: { Action: 'DELETE', Value: { SS: ['cat'] } } }).missing).toBeUndefined();
  });

  it('ADD adds to numbers and sets, creating them when missing', () => {
    expect(apply({ n: { Action: 'ADD', Value: { N: '-2.5' } } }).n).toEqual({ N: '2.5' });
    expect(apply({ counter: { Action: 'ADD', Value: { N: '3' } } }).counter).toEqual({ N: '3' });
    expect(apply({ ns: { Action: 'ADD', Value: { NS: ['9', '2'] } } }).ns).toEqual({ NS: ['2', '4', '7', '9'] });
    expect(apply({ tags: { Action: 'ADD', Value: { SS: ['a'] } } }).tags).toEqual({ SS: ['a'] });
  });

  it('ADD of a list appends to the list, creating it when missing', () => {
    expect(apply({ l: { Action: 'ADD', Value: { L: [{ S: 'x' }] } } }).l).toEqual({ L: [{ N: '2' }, { N: '4' }, { N: '7' }, { S: 'x' }] });
    expect(apply({ fresh: { Action: 'ADD', Value: { L: [{ N: '1' }] } } }, undefined).fresh).toEqual({ L: [{ N: '1' }] });
  });

  it('applies several actions at once', () => {
    const item = apply({ a: { Action: 'PUT', Value: { BOOL: false } }, n: { Action: 'ADD', Value: { N: '1' } }, s: { Action: 'DELETE' } });
    expect(item.a).toEqual({ BOOL: false });
    expect(item.n).toEqual({ N: '6' });
    expect(item.s).toBeUndefined();
  });

  it('an empty map updates nothing', () => {
    expect(apply({})).toEqual(sample());
  });

  it('rejects values the action cannot take', () => {
    expectValidation(() => attributeUpdatesToUpdate({ a: { Action: 'PUT' } }), `${INVALID}Only DELETE action is allowed when no attribute value is specified`);
    expectValidation(() => attributeUpdatesToUpdate({ a: {} }), `${INVALID}Only DELETE action is allowed when no attribute value is specified`);
    expectValidation(() => attributeUpdatesToUpdate({ a: { Action: 'ADD' } }), `${INVALID}Only DELETE action is allowed when no attribute value is specified`);
    const notSets: [string, AttributeValue][] = [['S', { S: 'x' }], ['N', { N: '1' }], ['L', { L: [] }], ['M', { M: {} }], ['BOOL', { BOOL: true }]];
    for (const [type, value] of notSets) {
      expectValidation(
        () => attributeUpdatesToUpdate({ a: { Action: 'DELETE', Value: value } }),
        `${INVALID}DELETE action with value is not supported for the type ${type}`,
      );
    }
    const notAddable: [string, AttributeValue][] = [['S', { S: 'x' }], ['B', { B: 'AQ==' }], ['M', { M: {} }], ['NULL', { NULL: true }], ['BOOL', { BOOL: true }]];
    for (const [type, value] of notAddable) {
      expectValidation(() => attributeUpdatesToUpdate({ a: { Action: 'ADD', Value: value } }), `${INVALID}ADD action is not supported for the type ${type}`);
    }
  });
});
