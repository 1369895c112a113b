import { InternalServerError, ServiceUnavailableException, ValidationException, type Item } from '@triad/model';
import {
  batchConsumedCapacity,
  checkRequestWith,
  firstDuplicate,
  formatWriteRequestItems,
  isRetriable,
  keySignature,
  requestItemsMapViolations,
  schema as batchWriteSchema,
  violationsMessage,
} from '../src/operations/batch-write-item';

const put = (id: string) => ({ PutRequest: { Item: { id: { S: id } } } });

describe('requestItemsMapViolations', () => {
  test('more than 25 requests for one table break the map value constraint', () => {
    const requests = Array.from({ length: 26 }, (_, i) => put(`k${i}`));
    const violations = requestItemsMapViolations({ tb1: requests }, true);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^Value '\{tb1=\[com\.amazonaws\.dynamodb\.v20120810\.WriteRequest@[0-9a-f]+, /);
    expect(violations[0]).toMatch(
      /' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$/,
    );
  });

  test('an empty request list breaks the same constraint, shown as DynamoDB shows it', () => {
    expect(requestItemsMapViolations({ 'test-table': [] }, true)).toEqual([
      "Value '{test-table=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
    ]);
  });

  test('25 requests and valid table names pass', () => {
    expect(requestItemsMapViolations({ tb1: Array.from({ length: 25 }, (_, i) => put(`k${i}`)) }, true)).toEqual([]);
  });

  test('table names must be 3-255 characters of [a-zA-Z0-9_.-]', () => {
    const [violation] = requestItemsMapViolations({ ab: { Keys: [] } }, false);
    expect(violation).toBe(
      `Value '{"ab":{"Keys":[]}}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]`,
    );
    expect(requestItemsMapViolations({ 'bad name': { Keys: [] } }, false)).toHaveLength(1);
    expect(requestItemsMapViolations({ ['a'.repeat(256)]: { Keys: [] } }, false)).toHaveLength(1);
    expect(requestItemsMapViolations({ 'Good_name.1-x': { Keys: [] } }, false)).toEqual([]);
  });

  test('anything but a map gives nothing (the type check reports it)', () => {
    expect(requestItemsMapViolations(undefined, true)).toEqual([]);
    expect(requestItemsMapViolations([], true)).toEqual([]);
  });
});

describe('formatWriteRequestItems', () => {
  test('is deterministic and content based', () => {
    expect(formatWriteRequestItems({ t: [put('a')] })).toBe(formatWriteRequestItems({ t: [put('a')] }));
    expect(formatWriteRequestItems({ t: [put('a')] })).not.toBe(formatWriteRequestItems({ t: [put('b')] }));
  });
});

describe('checkRequestWith', () => {
  test('map violations come before the members’ own, counted together', () => {
    const raw = { RequestItems: { tb1: [] }, ReturnConsumedCapacity: 'SOME' };
    expect(() => checkRequestWith(raw, batchWriteSchema, () => requestItemsMapViolations(raw.RequestItems, true))).toThrow(
      new ValidationException(
        "2 validation errors detected: Value '{tb1=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]; Value 'SOME' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
      ),
    );
  });

  test('empty RequestItems: the length constraint', () => {
    expect(() => checkRequestWith({ RequestItems: {} }, batchWriteSchema, () => [])).toThrow(
      "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  test('missing RequestItems: must not be null', () => {
    expect(() => checkRequestWith({}, batchWriteSchema, () => [])).toThrow(
      "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null",
    );
  });

  test('a PutRequest without Item', () => {
    expect(() => checkRequestWith({ RequestItems: { tb1: [{ PutRequest: {} }] } }, batchWriteSchema, () => [])).toThrow(
      "1 validation error detected: Value null at 'requestItems.tb1.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null",
    );
  });

  test('a valid request comes back typed', () => {
    const typed = checkRequestWith<{ RequestItems: unknown }>({ RequestItems: { tb1: [put('a')] } }, batchWriteSchema, () => []);
    expect(typed.RequestItems).toEqual({ tb1: [put('a')] });
  });

  test('other errors pass through unchanged', () => {
    expect(() => checkRequestWith({ RequestItems: 'x' }, batchWriteSchema, () => [])).toThrow('Unexpected field type');
  });
});

describe('violationsMessage', () => {
  test('reports at most 10', () => {
    const message = violationsMessage(Array.from({ length: 12 }, (_, i) => `Value 'v${i}' at 'x' failed`));
    expect(message.startsWith('10 validation errors detected: ')).toBe(true);
    expect(message).not.toContain('v10');
  });
  test('singular for one', () => {
    expect(violationsMessage(['v'])).toBe('1 validation error detected: v');
  });
});

describe('keySignature / firstDuplicate', () => {
  test('same key in any attribute order, and equal numbers written differently, are duplicates', () => {
    const keys: Item[] = [
      { pk: { S: 'a' }, sk: { N: '1' } },
      { sk: { N: '1.0' }, pk: { S: 'a' } },
    ];
    expect(firstDuplicate(keys, keySignature)).toBe(1);
  });
  test('different values, types or names are not', () => {
    const keys: Item[] = [{ pk: { S: '1' } }, { pk: { N: '1' } }, { pk: { S: '2' } }, { other: { S: '1' } }, { pk: { B: 'AQ==' } }];
    expect(firstDuplicate(keys, keySignature)).toBe(-1);
  });
});

describe('isRetriable', () => {
  test('ServiceUnavailable and InternalServerError go back as unprocessed; others do not', () => {
    expect(isRetriable(new ServiceUnavailableException('x'))).toBe(true);
    expect(isRetriable(new InternalServerError('x'))).toBe(true);
    expect(isRetriable(new ValidationException('x'))).toBe(false);
    expect(isRetriable(new Error('x'))).toBe(false);
  });
});

describe('batchConsumedCapacity', () => {
  const units = new Map([['tb1', 2], ['tb2', 1.5]]);
  test('a list, one entry per table', () => {
    expect(batchConsumedCapacity('TOTAL', units)).toEqual([
      { TableName: 'tb1', CapacityUnits: 2 },
      { TableName: 'tb2', CapacityUnits: 1.5 },
    ]);
    expect(batchConsumedCapacity('INDEXES', units)).toEqual([
      { TableName: 'tb1', CapacityUnits: 2, Table: { CapacityUnits: 2 } },
      { TableName: 'tb2', CapacityUnits: 1.5, Table: { CapacityUnits: 1.5 } },
    ]);
  });
  test('nothing for NONE or absent', () => {
    expect(batchConsumedCapacity('NONE', units)).toBeUndefined();
    expect(batchConsumedCapacity(undefined, units)).toBeUndefined();
  });
});
