import { checkRequest, type Schema } from '../src/validation/request-schema';
import { TABLE_NAME, LIMIT, KEY, EXPECTED } from '../src/validation/common-fields';

const schema: Schema = { TableName: TABLE_NAME, Limit: LIMIT, Key: KEY, ConsistentRead: { type: 'Boolean' } };

const error = (request: Record<string, unknown>) => {
  try {
    checkRequest(request, schema);
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected an error');
};

describe('checkRequest', () => {
  it('reports wrong JSON types as DynamoDB deserialisation does', () => {
    expect(error({ TableName: 5 })).toEqual({ name: 'SerializationException', message: 'NUMBER_VALUE cannot be converted to String' });
    expect(error({ TableName: true })).toEqual({ name: 'SerializationException', message: 'TRUE_VALUE cannot be converted to String' });
    expect(error({ TableName: {} })).toEqual({ name: 'SerializationException', message: 'Start of structure or map found where not expected' });
    expect(error({ Limit: 'x' })).toEqual({ name: 'SerializationException', message: 'STRING_VALUE cannot be converted to Integer' });
  });

  it('refuses integer fields that are not integers or do not fit, instead of truncating them', () => {
    expect(error({ Limit: 1.5 })).toEqual({ name: 'SerializationException', message: 'DECIMAL_VALUE cannot be converted to Integer' });
    expect(error({ Limit: 4294967297 })).toEqual({ name: 'SerializationException', message: 'NUMBER_VALUE cannot be converted to Integer' });
    expect(error({ Limit: 2147483648 })).toEqual({ name: 'SerializationException', message: 'NUMBER_VALUE cannot be converted to Integer' });
    expect(checkRequest<{ Limit: number }>({ TableName: 'abc', Key: { id: { S: 'x' } }, Limit: 2147483647 }, schema).Limit).toBe(2147483647);
    const longSchema: Schema = { Units: { type: 'Long' } };
    expect(() => checkRequest({ Units: 2 ** 53 }, longSchema)).toThrow('NUMBER_VALUE cannot be converted to Long');
    expect(() => checkRequest({ Units: 0.5 }, longSchema)).toThrow('DECIMAL_VALUE cannot be converted to Long');
    expect(checkRequest({ Units: 2 ** 53 - 1 }, longSchema)).toEqual({ Units: 2 ** 53 - 1 });
  });

  it('keeps a map member named __proto__ as an own member', () => {
    const typed = checkRequest<{ Key: Record<string, unknown> }>(JSON.parse('{"TableName":"abc","Key":{"__proto__":{"S":"x"}}}'), schema);
    expect(Object.keys(typed.Key)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(typed.Key)).toBe(Object.prototype);
  });

  it('gathers constraint violations into one message', () => {
    expect(error({ TableName: 'a!', Limit: 0 })).toEqual({
      name: 'ValidationException',
      message:
        "4 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
        "Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        "Value null at 'key' failed to satisfy constraint: Member must not be null",
    });
  });

  it('accepts a valid request, coerces DynamoDB-accepted boolean strings and drops unknown fields', () => {
    expect(checkRequest({ TableName: 'abc', Key: { id: { S: 'x' } }, ConsistentRead: 'true', Other: 1 }, schema)).toEqual({
      TableName: 'abc',
      Key: { id: { S: 'x' } },
      ConsistentRead: true,
    });
  });

  it('names the Java classes of maps, structures and attribute values as DynamoDB does', () => {
    const legacy: Schema = {
      Expected: EXPECTED,
      Values: { type: { map: { type: 'AttributeValueUnchecked' } } },
      Names: { type: { list: { type: 'String' } }, lengthMax: 1 },
    };
    const fails = (request: Record<string, unknown>) => {
      try {
        checkRequest(request, legacy);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(fails({ Expected: [] })).toBe('Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.ExpectedAttributeValue>');
    expect(fails({ Expected: { a: 'x' } })).toBe('Unexpected value type in payload');
    expect(fails({ Expected: { a: [] } })).toBe('Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ExpectedAttributeValue');
    expect(fails({ Expected: { a: { Value: 'x' } } })).toBe('Unexpected field type');
    expect(fails({ Expected: { a: { Value: [] } } })).toBe('Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue');
    expect(fails({ Values: { ':v': [] } })).toBe('Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue');
    expect(fails({ Values: { ':v': 'x' } })).toBe('Unexpected value type in payload');
    // Lists print as Java prints them.
    expect(fails({ Names: ['a', 'b'] })).toBe("1 validation error detected: Value '[a, b]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 1");
  });
});
