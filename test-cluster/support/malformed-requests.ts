/**
 * A generated catalogue of malformed DynamoDB requests, each with the error DynamoDB answers.
 * Pure: no I/O. For every item and query operation it derives, from a description of the
 * operation's parameters, requests with the wrong JSON type in each parameter (and inside
 * attribute values and legacy structures), constraint violations (lengths, ranges, unknown enum
 * values, nulls), invalid attribute values, bad expressions, expression attribute names and
 * values used or left unused wrongly, mixed legacy and expression parameters, oversize values
 * and too many batch items.
 *
 * The messages are DynamoDB's, as its deserialiser and validators word them (dynalite's tests,
 * written against AWS, are the evidence for most). Where the wording is not certain a case
 * carries only the error type, or a pattern.
 */

export type Json = Record<string, unknown>;

export interface MalformedCase {
  /** Unique, readable: operation, parameter, fault. */
  title: string;
  operation: string;
  body: Json;
  /** The error name after '#' in `__type`. */
  type: 'SerializationException' | 'ValidationException' | 'ResourceNotFoundException';
  message?: string | RegExp;
}

const MODEL = 'com.amazonaws.dynamodb.v20120810';
const INVALID = 'One or more parameter values were invalid:';
const NOT_EXPECTED_STRUCTURE = 'Start of structure or map found where not expected';

/** How DynamoDB's reader sees a parameter's JSON type. */
type Kind =
  | { kind: 'String' }
  | { kind: 'Boolean' }
  | { kind: 'Integer' }
  | { kind: 'List' }
  /** A map; `valueClass` is what an array in its place is reported as. */
  | { kind: 'Map'; valueClass: string };

const STRING: Kind = { kind: 'String' };
const BOOLEAN: Kind = { kind: 'Boolean' };
const INTEGER: Kind = { kind: 'Integer' };
const LIST: Kind = { kind: 'List' };
const mapOf = (valueClass: string): Kind => ({ kind: 'Map', valueClass });
const AV_MAP = mapOf(`${MODEL}.AttributeValue`);
const NAME_MAP = mapOf('java.lang.String');

/** JSON values of every type, to put where they do not belong. */
const WRONG_VALUES: Array<[string, unknown]> = [
  ['true', true],
  ['false', false],
  ['an integer', 5],
  ['a decimal', 1.5],
  ['a string', 'str'],
  ['an array', ['a']],
  ['an object', { a: 'b' }],
];

function scalarToken(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return Number.isInteger(value) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE';
}

/** The SerializationException message for `value` where `kind` belongs; undefined when acceptable. */
export function serializationMessage(kind: Kind, value: unknown): string | undefined {
  const isArray = Array.isArray(value);
  const isObject = typeof value === 'object' && value !== null && !isArray;
  switch (kind.kind) {
    case 'String':
      if (typeof value === 'string') return undefined;
      if (isArray) return 'Unrecognized collection type class java.lang.String';
      if (isObject) return NOT_EXPECTED_STRUCTURE;
      return `${scalarToken(value)} cannot be converted to String`;
    case 'Boolean':
      if (typeof value === 'boolean') return undefined;
      if (typeof value === 'number') return `${scalarToken(value)} cannot be converted to Boolean`;
      if (typeof value === 'string') return 'Unexpected token received from parser';
      if (isArray) return 'Unrecognized collection type class java.lang.Boolean';
      return NOT_EXPECTED_STRUCTURE;
    case 'Integer':
      if (typeof value === 'number') return undefined;
      if (typeof value === 'boolean') return `${scalarToken(value)} cannot be converted to Integer`;
      if (typeof value === 'string') return 'STRING_VALUE cannot be converted to Integer';
      if (isArray) return 'Unrecognized collection type class java.lang.Integer';
      return NOT_EXPECTED_STRUCTURE;
    case 'List':
      if (isArray) return undefined;
      if (isObject) return NOT_EXPECTED_STRUCTURE;
      return 'Unexpected field type';
    case 'Map':
      if (isObject) return undefined;
      if (isArray) return `Unrecognized collection type java.util.Map<java.lang.String, ${kind.valueClass}>`;
      return 'Unexpected field type';
  }
}

interface OperationSpec {
  /** A request that succeeds. */
  valid: Json;
  params: Record<string, Kind>;
  enums: Record<string, string[]>;
  /** Expression parameters, with a valid expression for each (using no placeholders). */
  expressions: Record<string, string>;
  /** The value expressions DynamoDB names when ExpressionAttributeValues come without them. */
  valueExpressionsMessage?: string;
}

/**
 * The operations under test, against `table` (partition key pk S, sort key sk N). The key
 * {pk: 'a', sk: 1} is used throughout.
 */
export function operationSpecs(table: string): Record<string, OperationSpec> {
  const key = { pk: { S: 'a' }, sk: { N: '1' } };
  const returnValues = ['ALL_NEW', 'UPDATED_OLD', 'ALL_OLD', 'NONE', 'UPDATED_NEW'];
  const common = { TableName: STRING, ReturnConsumedCapacity: STRING };
  const enumsCommon = { ReturnConsumedCapacity: ['INDEXES', 'TOTAL', 'NONE'] };
  return {
    PutItem: {
      valid: { TableName: table, Item: { ...key, v: { S: 'x' } } },
      params: {
        ...common,
        Item: AV_MAP,
        Expected: mapOf(`${MODEL}.ExpectedAttributeValue`),
        ConditionalOperator: STRING,
        ReturnValues: STRING,
        ReturnItemCollectionMetrics: STRING,
        ReturnValuesOnConditionCheckFailure: STRING,
        ConditionExpression: STRING,
        ExpressionAttributeNames: NAME_MAP,
        ExpressionAttributeValues: AV_MAP,
      },
      enums: {
        ...enumsCommon,
        ReturnValues: returnValues,
        ReturnItemCollectionMetrics: ['SIZE', 'NONE'],
        ReturnValuesOnConditionCheckFailure: ['ALL_OLD', 'NONE'],
        ConditionalOperator: ['OR', 'AND'],
      },
      expressions: { ConditionExpression: 'attribute_not_exists(zz)' },
      valueExpressionsMessage: 'ConditionExpression is null',
    },
    GetItem: {
      valid: { TableName: table, Key: key },
      params: { ...common, Key: AV_MAP, AttributesToGet: LIST, ConsistentRead: BOOLEAN, ProjectionExpression: STRING, ExpressionAttributeNames: NAME_MAP },
      enums: enumsCommon,
      expressions: { ProjectionExpression: 'v' },
    },
    UpdateItem: {
      valid: { TableName: table, Key: key },
      params: {
        ...common,
        Key: AV_MAP,
        AttributeUpdates: mapOf(`${MODEL}.AttributeValueUpdate`),
        Expected: mapOf(`${MODEL}.ExpectedAttributeValue`),
        ConditionalOperator: STRING,
        ReturnValues: STRING,
        ReturnItemCollectionMetrics: STRING,
        ReturnValuesOnConditionCheckFailure: STRING,
        UpdateExpression: STRING,
        ConditionExpression: STRING,
        ExpressionAttributeNames: NAME_MAP,
        ExpressionAttributeValues: AV_MAP,
      },
      enums: {
        ...enumsCommon,
        ReturnValues: returnValues,
        ReturnItemCollectionMetrics: ['SIZE', 'NONE'],
        ReturnValuesOnConditionCheckFailure: ['ALL_OLD', 'NONE'],
        ConditionalOperator: ['OR', 'AND'],
      },
      expressions: { UpdateExpression: 'REMOVE zz', ConditionExpression: 'attribute_not_exists(zz)' },
      valueExpressionsMessage: 'UpdateExpression and ConditionExpression are null',
    },
    DeleteItem: {
      valid: { TableName: table, Key: key },
      params: {
        ...common,
        Key: AV_MAP,
        Expected: mapOf(`${MODEL}.ExpectedAttributeValue`),
        ConditionalOperator: STRING,
        ReturnValues: STRING,
        ReturnItemCollectionMetrics: STRING,
        ReturnValuesOnConditionCheckFailure: STRING,
        ConditionExpression: STRING,
        ExpressionAttributeNames: NAME_MAP,
        ExpressionAttributeValues: AV_MAP,
      },
      enums: {
        ...enumsCommon,
        ReturnValues: returnValues,
        ReturnItemCollectionMetrics: ['SIZE', 'NONE'],
        ReturnValuesOnConditionCheckFailure: ['ALL_OLD', 'NONE'],
        ConditionalOperator: ['OR', 'AND'],
      },
      expressions: { ConditionExpression: 'attribute_not_exists(zz)' },
      valueExpressionsMessage: 'ConditionExpression is null',
    },
    Query: {
      valid: { TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'a' } } },
      params: {
        ...common,
        IndexName: STRING,
        Select: STRING,
        AttributesToGet: LIST,
        Limit: INTEGER,
        ConsistentRead: BOOLEAN,
        KeyConditions: mapOf(`${MODEL}.Condition`),
        QueryFilter: mapOf(`${MODEL}.Condition`),
        ConditionalOperator: STRING,
        ScanIndexForward: BOOLEAN,
        ExclusiveStartKey: AV_MAP,
        ProjectionExpression: STRING,
        FilterExpression: STRING,
        KeyConditionExpression: STRING,
        ExpressionAttributeNames: NAME_MAP,
        ExpressionAttributeValues: AV_MAP,
      },
      enums: { ...enumsCommon, Select: ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'], ConditionalOperator: ['OR', 'AND'] },
      expressions: { ProjectionExpression: 'v', FilterExpression: 'attribute_exists(v)' },
    },
    Scan: {
      valid: { TableName: table },
      params: {
        ...common,
        IndexName: STRING,
        AttributesToGet: LIST,
        Limit: INTEGER,
        Select: STRING,
        ScanFilter: mapOf(`${MODEL}.Condition`),
        ConditionalOperator: STRING,
        ExclusiveStartKey: AV_MAP,
        TotalSegments: INTEGER,
        Segment: INTEGER,
        ProjectionExpression: STRING,
        FilterExpression: STRING,
        ExpressionAttributeNames: NAME_MAP,
        ExpressionAttributeValues: AV_MAP,
        ConsistentRead: BOOLEAN,
      },
      enums: { ...enumsCommon, Select: ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'], ConditionalOperator: ['OR', 'AND'] },
      // FilterExpression first: ExpressionAttributeValues need it (see section 5).
      expressions: { FilterExpression: 'attribute_exists(v)', ProjectionExpression: 'v' },
      valueExpressionsMessage: 'FilterExpression is null',
    },
    BatchGetItem: {
      valid: { RequestItems: { [table]: { Keys: [key] } } },
      params: { ReturnConsumedCapacity: STRING, RequestItems: mapOf(`${MODEL}.KeysAndAttributes`) },
      enums: enumsCommon,
      expressions: {},
    },
    BatchWriteItem: {
      valid: { RequestItems: { [table]: [{ PutRequest: { Item: key } }] } },
      params: { ReturnConsumedCapacity: STRING, ReturnItemCollectionMetrics: STRING, RequestItems: mapOf(`java.util.List<${MODEL}.WriteRequest>`) },
      enums: { ...enumsCommon, ReturnItemCollectionMetrics: ['SIZE', 'NONE'] },
      expressions: {},
    },
  };
}

/** Invalid attribute values with DynamoDB's message for each. */
export function invalidAttributeValues(): Array<[string, unknown, string]> {
  let deep: unknown = { S: 'x' };
  for (let i = 0; i < 32; i++) deep = { L: [deep] };
  return [
    ['an empty value', {}, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    ['an unknown type only', { X: 'a' }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    ['two types', { S: 'a', N: '1' }, 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes'],
    ['a number that is not one', { N: 'one' }, 'The parameter cannot be converted to a numeric value: one'],
    ['an empty number', { N: '' }, 'The parameter cannot be converted to a numeric value'],
    ['39 significant digits', { N: '1'.repeat(39) }, 'Attempting to store more than 38 significant digits in a Number'],
    ['a number too large', { N: '1E+126' }, 'Number overflow. Attempting to store a number with magnitude larger than supported range'],
    ['a number too small', { N: '1E-131' }, 'Number underflow. Attempting to store a number with magnitude smaller than supported range'],
    ['an empty string set', { SS: [] }, `${INVALID} An string set  may not be empty`],
    ['an empty number set', { NS: [] }, `${INVALID} An number set  may not be empty`],
    ['an empty binary set', { BS: [] }, `${INVALID} Binary sets should not be empty`],
    ['a string set with duplicates', { SS: ['a', 'b', 'a'] }, `${INVALID} Input collection [a, b, a] contains duplicates.`],
    ['a number set with duplicates', { NS: ['1', '2', '1'] }, 'Input collection contains duplicates'],
    ['a binary set with duplicates', { BS: ['AQ==', 'AQ=='] }, `${INVALID} Input collection [AQ==, AQ==]of type BS contains duplicates.`],
    ['a bad number in a set', { NS: ['1', 'x'] }, 'The parameter cannot be converted to a numeric value: x'],
    ['NULL false', { NULL: false }, `${INVALID} Null attribute value types must have the value of true`],
    ['an empty value in a list', { L: [{ S: 'a' }, {}] }, 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'],
    ['a bad number in a map', { M: { a: { N: 'x' } } }, 'The parameter cannot be converted to a numeric value: x'],
    ['33 levels of nesting', deep, 'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit'],
  ];
}

/** Attribute values of the wrong JSON shape, with DynamoDB's SerializationException message. */
export function malformedAttributeValues(): Array<[string, unknown, string]> {
  return [
    ['a string for the value', 'x', 'Unexpected value type in payload'],
    ['a number for the value', 5, 'Unexpected value type in payload'],
    ['an array for the value', [{ S: 'a' }], `Unrecognized collection type class ${MODEL}.AttributeValue`],
    ['S as a number', { S: 5 }, 'NUMBER_VALUE cannot be converted to String'],
    ['S as a decimal', { S: 1.5 }, 'DECIMAL_VALUE cannot be converted to String'],
    ['S as true', { S: true }, 'TRUE_VALUE cannot be converted to String'],
    ['S as an array', { S: ['a'] }, 'Unrecognized collection type class java.lang.String'],
    ['S as an object', { S: { a: 'b' } }, NOT_EXPECTED_STRUCTURE],
    ['N as a number', { N: 5 }, 'NUMBER_VALUE cannot be converted to String'],
    ['B as a number', { B: 5 }, 'only base-64-encoded strings are convertible to bytes'],
    ['B of a bad length', { B: 'abc' }, 'Base64 encoded length is expected a multiple of 4 bytes but found: 3'],
    ['B with a bad character', { B: 'ab*=' }, 'Invalid last non-pad Base64 character dectected'],
    ['B as an array', { B: ['AQ=='] }, 'Unrecognized collection type class java.nio.ByteBuffer'],
    ['BOOL as a number', { BOOL: 1 }, 'NUMBER_VALUE cannot be converted to Boolean'],
    ['BOOL as a word', { BOOL: 'maybe' }, 'Unexpected token received from parser'],
    ['BOOL as an array', { BOOL: [true] }, 'Unrecognized collection type class java.lang.Boolean'],
    ['NULL as an object', { NULL: { a: true } }, NOT_EXPECTED_STRUCTURE],
    ['SS as a string', { SS: 'a' }, 'Unexpected field type'],
    ['SS as an object', { SS: { a: 'b' } }, NOT_EXPECTED_STRUCTURE],
    ['SS with a number', { SS: ['a', 1] }, 'NUMBER_VALUE cannot be converted to String'],
    ['NS with a boolean', { NS: [false] }, 'FALSE_VALUE cannot be converted to String'],
    ['BS with a number', { BS: [1] }, 'only base-64-encoded strings are convertible to bytes'],
    ['L as a string', { L: 'a' }, 'Unexpected field type'],
    ['L as an object', { L: { a: { S: 'b' } } }, NOT_EXPECTED_STRUCTURE],
    ['L with a string', { L: ['a'] }, 'Unexpected value type in payload'],
    ['M as an array', { M: [{ S: 'a' }] }, `Unrecognized collection type java.util.Map<java.lang.String, ${MODEL}.AttributeValue>`],
    ['M as a number', { M: 1 }, 'Unexpected field type'],
    ['M with a bad member', { M: { a: { S: 1 } } }, 'NUMBER_VALUE cannot be converted to String'],
  ];
}

function tableNameCases(operation: string, valid: Json): MalformedCase[] {
  if (!('TableName' in valid)) return [];
  const pattern = 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+';
  const at = (value: string, constraint: string) => `Value '${value}' at 'tableName' failed to satisfy constraint: ${constraint}`;
  const long = 'a'.repeat(256);
  const cases: Array<[string, unknown, string]> = [
    ['missing', undefined, `1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null`],
    ['empty', '', `2 validation errors detected: ${at('', pattern)}; ${at('', 'Member must have length greater than or equal to 3')}`],
    ['two characters', 'ab', `1 validation error detected: ${at('ab', 'Member must have length greater than or equal to 3')}`],
    ['256 characters', long, `1 validation error detected: ${at(long, 'Member must have length less than or equal to 255')}`],
    ['a semicolon', 'abc;', `1 validation error detected: ${at('abc;', pattern)}`],
    ['a space', 'a table', `1 validation error detected: ${at('a table', pattern)}`],
    ['non-ASCII letters', 'tàble', `1 validation error detected: ${at('tàble', pattern)}`],
  ];
  const out = cases.map(([title, value, message]): MalformedCase => {
    const body = { ...valid };
    if (value === undefined) delete body.TableName;
    else body.TableName = value;
    return { title: `${operation} TableName ${title}`, operation, body, type: 'ValidationException', message };
  });
  out.push({ title: `${operation} on a table that does not exist`, operation, body: { ...valid, TableName: 'no_such_table' }, type: 'ResourceNotFoundException', message: 'Requested resource not found' });
  return out;
}

/** Every case, for operations against `table` and `otherTable` (both pk S, sk N). */
export function generateMalformedRequests(table: string, otherTable: string): MalformedCase[] {
  const cases: MalformedCase[] = [];
  const specs = operationSpecs(table);
  const key = { pk: { S: 'a' }, sk: { N: '1' } };

  for (const [operation, spec] of Object.entries(specs)) {
    const { valid } = spec;

    // 1. The wrong JSON type in every parameter.
    for (const [param, kind] of Object.entries(spec.params)) {
      for (const [label, value] of WRONG_VALUES) {
        const message = serializationMessage(kind, value);
        if (message === undefined) continue;
        cases.push({ title: `${operation} ${param} as ${label}`, operation, body: { ...valid, [param]: value }, type: 'SerializationException', message });
      }
    }

    // 2. Unknown enum values, and the right value in the wrong case.
    for (const [param, values] of Object.entries(spec.enums)) {
      for (const bad of ['BOGUS', values[0]!.toLowerCase(), '']) {
        cases.push({
          title: `${operation} ${param} '${bad}'`,
          operation,
          body: { ...valid, [param]: bad },
          type: 'ValidationException',
          message: `1 validation error detected: Value '${bad}' at '${param[0]!.toLowerCase()}${param.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`,
        });
      }
    }

    // 3. Table names.
    cases.push(...tableNameCases(operation, valid));

    // 4. Expressions: every expression parameter, broken in every way.
    for (const [param, good] of Object.entries(spec.expressions)) {
      const prefix = `Invalid ${param}:`;
      const withExpression = (expression: string, extra: Json = {}): Json => ({ ...valid, [param]: expression, ...extra });
      const mergeValues = (values: Json) => ({ ExpressionAttributeValues: { ...((valid.ExpressionAttributeValues as Json | undefined) ?? {}), ...values } });
      const broken: Array<[string, Json, string | RegExp]> = [
        ['empty', withExpression(''), `${prefix} The expression can not be empty;`],
        ['an unclosed parenthesis', withExpression(param === 'UpdateExpression' ? 'SET a = (' : '('), new RegExp(`^${prefix} Syntax error; token: `)],
        ['a stray token', withExpression(`${good} )`), new RegExp(`^${prefix} Syntax error; token: "\\)", near: `)],
        ['a bad character', withExpression(`${good} @`), new RegExp(`^${prefix} Syntax error; token: "@", near: `)],
        [
          'over 4 KB',
          withExpression(`${good}${' '.repeat(4097 - good.length)}`),
          `${prefix} Expression size has exceeded the maximum allowed size; expression size: 4097`,
        ],
        [
          'an undefined name',
          withExpression(good.replace(/\b(zz|v)\b/, '#undefined')),
          `${prefix} An expression attribute name used in the document path is not defined; attribute name: #undefined`,
        ],
        [
          'a reserved word',
          withExpression(good.replace(/\b(zz|v)\b/, 'Comment')),
          `${prefix} Attribute name is a reserved keyword; reserved keyword: Comment`,
        ],
        [
          'a path 33 levels deep',
          withExpression(good.replace(/\b(zz|v)\b/, Array.from({ length: 33 }, () => 'p').join('.'))),
          `${prefix} The document path has too many nesting levels; nesting levels: 33`,
        ],
        [
          'a list index out of range',
          withExpression(good.replace(/\b(zz|v)\b/, 'l[4294967296]')),
          `${prefix} List index is not within the allowable range; index: 4294967296`,
        ],
      ];
      if (param !== 'ProjectionExpression') {
        broken.push(
          [
            'an undefined value',
            withExpression(param === 'UpdateExpression' ? 'SET zz = :undefined' : 'zz = :undefined'),
            `${prefix} An expression attribute value used in expression is not defined; attribute value: :undefined`,
          ],
          [
            'an unknown function',
            withExpression(param === 'UpdateExpression' ? 'SET zz = nofunc(zz)' : 'nofunc(zz)'),
            `${prefix} Invalid function name; function: nofunc`,
          ],
        );
      }
      if (param === 'ConditionExpression' || param === 'FilterExpression') {
        broken.push(
          ['redundant parentheses', withExpression(`((${good}))`), `${prefix} The expression has redundant parentheses;`],
          [
            'the same operand twice',
            withExpression('zz = zz'),
            `${prefix} The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [zz]`,
          ],
          [
            'a function misused as an operand',
            withExpression('attribute_exists(zz) = :t', mergeValues({ ':t': { BOOL: true } })),
            `${prefix} The function is not allowed to be used this way in an expression; function: attribute_exists`,
          ],
          [
            'an update function',
            withExpression('zz = list_append(zz, zz)'),
            `${prefix} The function is not allowed in a condition expression; function: list_append`,
          ],
          [
            'too few operands',
            withExpression('begins_with(zz)'),
            `${prefix} Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1`,
          ],
          [
            'an ordering of a set',
            withExpression('zz < :s', mergeValues({ ':s': { SS: ['a'] } })),
            `${prefix} Incorrect operand type for operator or function; operator or function: <, operand type: SS`,
          ],
          [
            'an unknown attribute type',
            withExpression('attribute_type(zz, :t)', mergeValues({ ':t': { S: 'STRING' } })),
            `${prefix} Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
          ],
          [
            'too many IN operands',
            withExpression(`zz IN (${Array.from({ length: 101 }, (_, i) => `:i${i}`).join(',')})`, mergeValues(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`:i${i}`, { N: String(i) }])))),
            `${prefix} The IN operator is provided with too many operands; number of operands: 101`,
          ],
        );
      }
      if (param === 'UpdateExpression') {
        broken.push(
          ['no clause', withExpression('zz'), new RegExp(`^${prefix} Syntax error; token: "zz", near: `)],
          ['a clause twice', withExpression('REMOVE a REMOVE b'), `${prefix} The "REMOVE" section can only be used once in an update expression;`],
          [
            'overlapping paths',
            withExpression('REMOVE a, a.b'),
            `${prefix} Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]`,
          ],
          [
            'conflicting paths',
            withExpression('REMOVE a.b, a[1]'),
            `${prefix} Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]`,
          ],
          [
            'ADD of a string',
            withExpression('ADD zz :s', { ExpressionAttributeValues: { ':s': { S: 'x' } } }),
            `${prefix} Incorrect operand type for operator or function; operator: ADD, operand type: STRING`,
          ],
          [
            'DELETE of a list',
            withExpression('DELETE zz :l', { ExpressionAttributeValues: { ':l': { L: [] } } }),
            `${prefix} Incorrect operand type for operator or function; operator: DELETE, operand type: LIST`,
          ],
          [
            'a condition function',
            withExpression('SET zz = size(zz)'),
            `${prefix} The function is not allowed in an update expression; function: size`,
          ],
          [
            'the key attribute',
            withExpression('REMOVE pk'),
            `${INVALID} Cannot update attribute pk. This attribute is part of the key`,
          ],
        );
      }
      if (param === 'ProjectionExpression') {
        broken.push(
          [
            'overlapping paths',
            withExpression('a.b, a'),
            `${prefix} Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]`,
          ],
          [
            'conflicting paths',
            withExpression('a[0], a.b'),
            `${prefix} Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]`,
          ],
          ['a trailing comma', withExpression('a,'), new RegExp(`^${prefix} Syntax error; token: "<EOF>", near: `)],
        );
      }
      for (const [title, body, message] of broken) {
        cases.push({ title: `${operation} ${param} with ${title}`, operation, body, type: 'ValidationException', message });
      }
    }

    // 5. ExpressionAttributeNames / Values used or unused wrongly.
    const expressionParams = Object.keys(spec.expressions);
    if (expressionParams.length > 0) {
      const firstParam = expressionParams[0]!;
      const base = operation === 'Query' ? valid : { ...valid, [firstParam]: spec.expressions[firstParam] };
      const baseValues = (base.ExpressionAttributeValues as Json | undefined) ?? {};
      const named: Array<[string, Json, string]> = [
        ['an unused name', { ...base, ExpressionAttributeNames: { '#unused': 'x' } }, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}'],
        ['empty names', { ...base, ExpressionAttributeNames: {} }, 'ExpressionAttributeNames must not be empty'],
        ['a name key without #', { ...base, ExpressionAttributeNames: { name: 'x' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "name"'],
        ['a name key with a dot', { ...base, ExpressionAttributeNames: { '#a.b': 'x' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a.b"'],
        ['a name key # alone', { ...base, ExpressionAttributeNames: { '#': 'x' } }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"'],
      ];
      if (spec.valueExpressionsMessage !== undefined || operation === 'Query') {
        named.push(
          ['an unused value', { ...base, ExpressionAttributeValues: { ...baseValues, ':unused': { S: 'x' } } }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}'],
          ['empty values', { ...base, ExpressionAttributeValues: {} }, 'ExpressionAttributeValues must not be empty'],
          ['a value key without :', { ...base, ExpressionAttributeValues: { ...baseValues, value: { S: 'x' } } }, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "value"'],
          ['a value key with a space', { ...base, ExpressionAttributeValues: { ...baseValues, ': v': { S: 'x' } } }, 'ExpressionAttributeValues contains invalid key: Syntax error; key: ": v"'],
        );
        for (const [title, value, message] of invalidAttributeValues().slice(0, 12)) {
          named.push([
            `an invalid value (${title})`,
            { ...base, ExpressionAttributeValues: { ...baseValues, ':bad': value } },
            `ExpressionAttributeValues contains invalid value: ${message} for key :bad`,
          ]);
        }
      }
      if (operation !== 'Query') {
        named.push(['names without an expression', { ...valid, ExpressionAttributeNames: { '#a': 'a' } }, 'ExpressionAttributeNames can only be specified when using expressions']);
      }
      if (spec.valueExpressionsMessage !== undefined) {
        named.push([
          'values without an expression',
          { ...valid, ExpressionAttributeValues: { ':a': { S: 'a' } } },
          `ExpressionAttributeValues can only be specified when using expressions: ${spec.valueExpressionsMessage}`,
        ]);
      }
      for (const [title, body, message] of named) {
        cases.push({ title: `${operation} with ${title}`, operation, body, type: 'ValidationException', message });
      }
    }

    // 6. Legacy and expression parameters mixed.
    const mixes: Record<string, Array<[Json, string, string]>> = {
      PutItem: [[{ ConditionExpression: 'attribute_exists(a)', Expected: { a: { Exists: false } } }, 'Expected', 'ConditionExpression']],
      DeleteItem: [[{ ConditionExpression: 'attribute_exists(a)', Expected: { a: { Exists: false } } }, 'Expected', 'ConditionExpression']],
      UpdateItem: [
        [{ UpdateExpression: 'REMOVE a', AttributeUpdates: { b: { Action: 'DELETE' } } }, 'AttributeUpdates', 'UpdateExpression'],
        [{ ConditionExpression: 'attribute_exists(a)', Expected: { a: { Exists: false } } }, 'Expected', 'ConditionExpression'],
        [{ UpdateExpression: 'REMOVE a', Expected: { a: { Exists: false } }, AttributeUpdates: { b: { Action: 'DELETE' } } }, 'AttributeUpdates, Expected', 'UpdateExpression'],
      ],
      GetItem: [[{ ProjectionExpression: 'a', AttributesToGet: ['a'] }, 'AttributesToGet', 'ProjectionExpression']],
      Scan: [
        [{ ProjectionExpression: 'a', AttributesToGet: ['a'] }, 'AttributesToGet', 'ProjectionExpression'],
        [{ FilterExpression: 'attribute_exists(a)', ScanFilter: { a: { ComparisonOperator: 'NULL' } } }, 'ScanFilter', 'FilterExpression'],
        [{ FilterExpression: 'attribute_exists(a)', ScanFilter: { a: { ComparisonOperator: 'NULL' }, b: { ComparisonOperator: 'NULL' } }, ConditionalOperator: 'OR' }, 'ScanFilter, ConditionalOperator', 'FilterExpression'],
      ],
      Query: [
        [{ ProjectionExpression: 'a', AttributesToGet: ['a'] }, 'AttributesToGet', 'ProjectionExpression, KeyConditionExpression'],
        [{ QueryFilter: { a: { ComparisonOperator: 'NULL' } } }, 'QueryFilter', 'KeyConditionExpression'],
        [{ KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'a' }] } } }, 'KeyConditions', 'KeyConditionExpression'],
      ],
    };
    for (const [params, legacy, expression] of mixes[operation] ?? []) {
      cases.push({
        title: `${operation} mixing {${legacy}} with {${expression}}`,
        operation,
        body: { ...valid, ...params },
        type: 'ValidationException',
        message: `Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${legacy}} Expression parameters: {${expression}}`,
      });
    }
  }

  // 7. Attribute values: wrong JSON shapes and invalid contents, wherever values go.
  const valueSites: Array<[string, string, (value: unknown) => Json]> = [
    ['PutItem', 'Item', (value) => ({ TableName: table, Item: { ...key, attr: value } })],
    ['GetItem', 'Key', (value) => ({ TableName: table, Key: { pk: { S: 'a' }, sk: value } })],
    ['DeleteItem', 'Key', (value) => ({ TableName: table, Key: { pk: value, sk: { N: '1' } } })],
    ['UpdateItem', 'ExpressionAttributeValues', (value) => ({ TableName: table, Key: key, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': value } })],
    ['Query', 'ExpressionAttributeValues', (value) => ({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': value } })],
    ['BatchWriteItem', 'Item', (value) => ({ RequestItems: { [table]: [{ PutRequest: { Item: { ...key, attr: value } } }] } })],
    ['BatchGetItem', 'Keys', (value) => ({ RequestItems: { [table]: { Keys: [{ pk: value, sk: { N: '1' } }] } } })],
  ];
  for (const [operation, site, bodyFor] of valueSites) {
    for (const [title, value, message] of malformedAttributeValues()) {
      cases.push({ title: `${operation} ${site} value: ${title}`, operation, body: bodyFor(value), type: 'SerializationException', message });
    }
    for (const [title, value, message] of invalidAttributeValues()) {
      const expressionValue = site === 'ExpressionAttributeValues';
      cases.push({
        title: `${operation} ${site} value: ${title}`,
        operation,
        body: bodyFor(value),
        type: 'ValidationException',
        message: expressionValue ? `ExpressionAttributeValues contains invalid value: ${message} for key ${operation === 'Query' ? ':p' : ':v'}` : message,
      });
    }
  }

  // 8. Legacy structures of the wrong shape.
  const legacyShapes: Array<[string, Json, string]> = [
    ['Expected entry as a string', { Expected: { a: 'x' } }, 'Unexpected value type in payload'],
    ['Expected entry as an array', { Expected: { a: [] } }, `Unrecognized collection type class ${MODEL}.ExpectedAttributeValue`],
    ['Expected Exists as a number', { Expected: { a: { Exists: 1 } } }, 'NUMBER_VALUE cannot be converted to Boolean'],
    ['Expected Value as a string', { Expected: { a: { Value: 'x' } } }, 'Unexpected field type'],
    ['Expected Value as an array', { Expected: { a: { Value: [] } } }, `Unrecognized collection type class ${MODEL}.AttributeValue`],
    ['Expected ComparisonOperator as a number', { Expected: { a: { ComparisonOperator: 1 } } }, 'NUMBER_VALUE cannot be converted to String'],
    ['Expected AttributeValueList as a string', { Expected: { a: { ComparisonOperator: 'EQ', AttributeValueList: 'x' } } }, 'Unexpected field type'],
  ];
  for (const operation of ['PutItem', 'DeleteItem', 'UpdateItem']) {
    const valid = specs[operation]!.valid;
    for (const [title, params, message] of legacyShapes) {
      cases.push({ title: `${operation} ${title}`, operation, body: { ...valid, ...params }, type: 'SerializationException', message });
    }
    cases.push(
      {
        title: `${operation} Expected with an unknown operator`,
        operation,
        body: { ...valid, Expected: { a: { ComparisonOperator: 'LIKE', AttributeValueList: [{ S: 'a' }] } } },
        type: 'ValidationException',
        message:
          "1 validation error detected: Value 'LIKE' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
      },
      {
        title: `${operation} Expected without Value`,
        operation,
        body: { ...valid, Expected: { a: {} } },
        type: 'ValidationException',
        message: `${INVALID} Value must be provided when Exists is null for Attribute: a`,
      },
      {
        title: `${operation} ConditionalOperator without Expected`,
        operation,
        body: { ...valid, ConditionalOperator: 'AND' },
        type: 'ValidationException',
        message: 'ConditionalOperator cannot be used without Filter or Expected',
      },
    );
  }
  const updateValid = specs.UpdateItem!.valid;
  cases.push(
    { title: 'UpdateItem AttributeUpdates entry as a number', operation: 'UpdateItem', body: { ...updateValid, AttributeUpdates: { a: 1 } }, type: 'SerializationException', message: 'Unexpected value type in payload' },
    {
      title: 'UpdateItem AttributeUpdates entry as an array',
      operation: 'UpdateItem',
      body: { ...updateValid, AttributeUpdates: { a: [] } },
      type: 'SerializationException',
      message: `Unrecognized collection type class ${MODEL}.AttributeValueUpdate`,
    },
    { title: 'UpdateItem AttributeUpdates Value as a string', operation: 'UpdateItem', body: { ...updateValid, AttributeUpdates: { a: { Value: 'x' } } }, type: 'SerializationException', message: 'Unexpected field type' },
    { title: 'UpdateItem AttributeUpdates Action as true', operation: 'UpdateItem', body: { ...updateValid, AttributeUpdates: { a: { Action: true } } }, type: 'SerializationException', message: 'TRUE_VALUE cannot be converted to String' },
    {
      title: 'UpdateItem AttributeUpdates with an unknown Action',
      operation: 'UpdateItem',
      body: { ...updateValid, AttributeUpdates: { a: { Action: 'SET', Value: { S: 'x' } } } },
      type: 'ValidationException',
      message: "1 validation error detected: Value 'SET' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, DELETE, PUT]",
    },
    { title: 'UpdateItem AttributeUpdates PUT without a value', operation: 'UpdateItem', body: { ...updateValid, AttributeUpdates: { a: { Action: 'PUT' } } }, type: 'ValidationException', message: `${INVALID} Only DELETE action is allowed when no attribute value is specified` },
  );
  for (const [operation, param] of [['Query', 'QueryFilter'], ['Scan', 'ScanFilter'], ['Query', 'KeyConditions']] as const) {
    // A QueryFilter goes with the legacy KeyConditions (with KeyConditionExpression it is a mix).
    const legacyKey = { KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'a' }] } } };
    const valid = param === 'KeyConditions' ? { TableName: table } : param === 'QueryFilter' ? { TableName: table, ...legacyKey } : specs[operation]!.valid;
    const lower = `${param[0]!.toLowerCase()}${param.slice(1)}`;
    cases.push(
      { title: `${operation} ${param} entry as a string`, operation, body: { ...valid, [param]: { a: 'x' } }, type: 'SerializationException', message: 'Unexpected value type in payload' },
      { title: `${operation} ${param} entry as an array`, operation, body: { ...valid, [param]: { a: [] } }, type: 'SerializationException', message: `Unrecognized collection type class ${MODEL}.Condition` },
      {
        title: `${operation} ${param} AttributeValueList as an object`,
        operation,
        body: { ...valid, [param]: { a: { ComparisonOperator: 'EQ', AttributeValueList: { S: 'x' } } } },
        type: 'SerializationException',
        message: NOT_EXPECTED_STRUCTURE,
      },
      {
        title: `${operation} ${param} without a ComparisonOperator`,
        operation,
        body: { ...valid, [param]: { a: { AttributeValueList: [{ S: 'x' }] } } },
        type: 'ValidationException',
        message: `1 validation error detected: Value null at '${lower}.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null`,
      },
      {
        title: `${operation} ${param} with too many values for EQ`,
        operation,
        body: { ...valid, [param]: { a: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'x' }, { S: 'y' }] } } },
        type: 'ValidationException',
        message: `${INVALID} Invalid number of argument(s) for the EQ ComparisonOperator`,
      },
    );
  }

  // 9. Ranges, lengths and nulls of the other parameters.
  const queryValid = specs.Query!.valid;
  const scanValid = specs.Scan!.valid;
  const constraint = (path: string, value: unknown, text: string) =>
    `1 validation error detected: Value ${value === null ? 'null' : `'${String(value)}'`} at '${path}' failed to satisfy constraint: ${text}`;
  const ranges: Array<[string, string, Json, string]> = [
    ['Query', 'Limit 0', { ...queryValid, Limit: 0 }, constraint('limit', 0, 'Member must have value greater than or equal to 1')],
    ['Query', 'Limit -1', { ...queryValid, Limit: -1 }, constraint('limit', -1, 'Member must have value greater than or equal to 1')],
    ['Scan', 'Limit 0', { ...scanValid, Limit: 0 }, constraint('limit', 0, 'Member must have value greater than or equal to 1')],
    ['Scan', 'Segment -1', { ...scanValid, Segment: -1, TotalSegments: 1 }, constraint('segment', -1, 'Member must have value greater than or equal to 0')],
    ['Scan', 'Segment 1000000', { ...scanValid, Segment: 1000000, TotalSegments: 1000000 }, constraint('segment', 1000000, 'Member must have value less than or equal to 999999')],
    ['Scan', 'TotalSegments 0', { ...scanValid, Segment: 0, TotalSegments: 0 }, constraint('totalSegments', 0, 'Member must have value greater than or equal to 1')],
    ['Scan', 'TotalSegments 1000001', { ...scanValid, Segment: 0, TotalSegments: 1000001 }, constraint('totalSegments', 1000001, 'Member must have value less than or equal to 1000000')],
    ['Scan', 'Segment without TotalSegments', { ...scanValid, Segment: 1 }, 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present'],
    ['Scan', 'TotalSegments without Segment', { ...scanValid, TotalSegments: 4 }, 'The Segment parameter is required but was not present in the request when parameter TotalSegments is present'],
    ['Scan', 'Segment 4 of 4', { ...scanValid, Segment: 4, TotalSegments: 4 }, 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4'],
    ['Scan', 'an empty AttributesToGet', { ...scanValid, AttributesToGet: [] }, constraint('attributesToGet', '[]', 'Member must have length greater than or equal to 1')],
    ['GetItem', 'an empty AttributesToGet', { ...specs.GetItem!.valid, AttributesToGet: [] }, constraint('attributesToGet', '[]', 'Member must have length greater than or equal to 1')],
    ['Query', 'IndexName of two characters', { ...queryValid, IndexName: 'ab' }, constraint('indexName', 'ab', 'Member must have length greater than or equal to 3')],
    ['Query', 'IndexName with a semicolon', { ...queryValid, IndexName: 'ab;c' }, constraint('indexName', 'ab;c', 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+')],
    ['PutItem', 'no Item', { TableName: table }, constraint('item', null, 'Member must not be null')],
    ['GetItem', 'no Key', { TableName: table }, constraint('key', null, 'Member must not be null')],
    ['UpdateItem', 'no Key', { TableName: table }, constraint('key', null, 'Member must not be null')],
    ['DeleteItem', 'no Key', { TableName: table }, constraint('key', null, 'Member must not be null')],
    ['Query', 'no key condition', { TableName: table }, 'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.'],
    ['Query', 'ALL_PROJECTED_ATTRIBUTES without an index', { ...queryValid, Select: 'ALL_PROJECTED_ATTRIBUTES' }, 'ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName'],
    ['Scan', 'COUNT with a projection', { ...scanValid, Select: 'COUNT', ProjectionExpression: 'a' }, 'Cannot specify the ProjectionExpression when choosing to get COUNT'],
    ['GetItem', 'duplicate AttributesToGet', { ...specs.GetItem!.valid, AttributesToGet: ['a', 'b', 'a'] }, `${INVALID} Duplicate value in attribute name: a`],
    ['BatchGetItem', 'no RequestItems', {}, constraint('requestItems', null, 'Member must not be null')],
    ['BatchWriteItem', 'no RequestItems', {}, constraint('requestItems', null, 'Member must not be null')],
    ['BatchGetItem', 'empty RequestItems', { RequestItems: {} }, constraint('requestItems', '{}', 'Member must have length greater than or equal to 1')],
    ['BatchWriteItem', 'empty RequestItems', { RequestItems: {} }, constraint('requestItems', '{}', 'Member must have length greater than or equal to 1')],
    ['BatchGetItem', 'empty Keys', { RequestItems: { [table]: { Keys: [] } } }, constraint(`requestItems.${table}.member.keys`, '[]', 'Member must have length greater than or equal to 1')],
  ];
  for (const [operation, title, body, message] of ranges) cases.push({ title: `${operation} ${title}`, operation, body, type: 'ValidationException', message });

  // 10. Keys that do not fit the table, and oversize values.
  const matchSchema = 'The provided key element does not match the schema';
  for (const operation of ['GetItem', 'DeleteItem', 'UpdateItem']) {
    const valid = specs[operation]!.valid;
    for (const [title, badKey] of [
      ['without the sort key', { pk: { S: 'a' } }],
      ['with an extra attribute', { ...key, x: { S: 'a' } }],
      ['with a mistyped sort key', { pk: { S: 'a' }, sk: { S: '1' } }],
      ['empty', {}],
    ] as const) {
      cases.push({ title: `${operation} Key ${title}`, operation, body: { ...valid, Key: badKey }, type: 'ValidationException', message: matchSchema });
    }
    cases.push({
      title: `${operation} Key with a partition key over 2048 bytes`,
      operation,
      body: { ...valid, Key: { pk: { S: 'k'.repeat(2049) }, sk: { N: '1' } } },
      type: 'ValidationException',
      message: `${INVALID} Size of hashkey has exceeded the maximum size limit of2048 bytes`,
    });
  }
  cases.push(
    { title: 'PutItem Item without the sort key', operation: 'PutItem', body: { TableName: table, Item: { pk: { S: 'a' } } }, type: 'ValidationException', message: `${INVALID} Missing the key sk in the item` },
    { title: 'PutItem Item with a mistyped key', operation: 'PutItem', body: { TableName: table, Item: { pk: { N: '1' }, sk: { N: '1' } } }, type: 'ValidationException', message: `${INVALID} Type mismatch for key pk expected: S actual: N` },
    { title: 'PutItem Item over 400 KB', operation: 'PutItem', body: { TableName: table, Item: { ...key, big: { S: 'x'.repeat(400 * 1024) } } }, type: 'ValidationException', message: 'Item size has exceeded the maximum allowed size' },
    {
      title: 'PutItem ReturnValues ALL_NEW',
      operation: 'PutItem',
      body: { ...specs.PutItem!.valid, ReturnValues: 'ALL_NEW' },
      type: 'ValidationException',
      message: 'ReturnValues can only be ALL_OLD or NONE',
    },
    {
      title: 'DeleteItem ReturnValues UPDATED_NEW',
      operation: 'DeleteItem',
      body: { ...specs.DeleteItem!.valid, ReturnValues: 'UPDATED_NEW' },
      type: 'ValidationException',
      message: 'ReturnValues can only be ALL_OLD or NONE',
    },
  );

  // 11. Batches: too many items, duplicates, and bad requests inside.
  const writes = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: { S: `w${i + offset}` }, sk: { N: '1' } } } }));
  const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: { S: `g${i}` }, sk: { N: '1' } }));
  cases.push(
    {
      title: 'BatchWriteItem 26 requests for one table',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: writes(26) } },
      type: 'ValidationException',
      message: /^1 validation error detected: Value '\{.*\}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$/,
    },
    {
      title: 'BatchWriteItem 26 requests over two tables',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: writes(13), [otherTable]: writes(13, 13) } },
      type: 'ValidationException',
      message: 'Too many items requested for the BatchWriteItem call',
    },
    {
      title: 'BatchWriteItem an empty list for a table',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: [] } },
      type: 'ValidationException',
      message: `1 validation error detected: Value '{${table}=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`,
    },
    {
      title: 'BatchWriteItem the same key twice',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: [...writes(1), { DeleteRequest: { Key: { pk: { S: 'w0' }, sk: { N: '1' } } } }] } },
      type: 'ValidationException',
      message: 'Provided list of item keys contains duplicates',
    },
    {
      title: 'BatchWriteItem a request entry as a string',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: ['x'] } },
      type: 'SerializationException',
    },
    {
      title: 'BatchWriteItem an item over 400 KB',
      operation: 'BatchWriteItem',
      body: { RequestItems: { [table]: [{ PutRequest: { Item: { ...key, big: { S: 'x'.repeat(400 * 1024) } } } }] } },
      type: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    },
    {
      title: 'BatchGetItem 101 keys for one table',
      operation: 'BatchGetItem',
      body: { RequestItems: { [table]: { Keys: keys(101) } } },
      type: 'ValidationException',
      message: new RegExp(`^1 validation error detected: Value '.*' at 'requestItems\\.${table}\\.member\\.keys' failed to satisfy constraint: Member must have length less than or equal to 100$`),
    },
    {
      title: 'BatchGetItem 101 keys over two tables',
      operation: 'BatchGetItem',
      body: { RequestItems: { [table]: { Keys: keys(50) }, [otherTable]: { Keys: keys(51) } } },
      type: 'ValidationException',
      message: 'Too many items requested for the BatchGetItem call',
    },
    {
      title: 'BatchGetItem the same key twice',
      operation: 'BatchGetItem',
      body: { RequestItems: { [table]: { Keys: [...keys(2), ...keys(1)] } } },
      type: 'ValidationException',
      message: 'Provided list of item keys contains duplicates',
    },
    {
      title: 'BatchGetItem an entry as an array',
      operation: 'BatchGetItem',
      body: { RequestItems: { [table]: [] } },
      type: 'SerializationException',
      message: `Unrecognized collection type class ${MODEL}.KeysAndAttributes`,
    },
  );

  return cases;
}
