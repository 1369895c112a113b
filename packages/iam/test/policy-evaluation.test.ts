import { accessDeniedMessage, evaluatePolicies, parsePolicyDocument, PolicyError, requestKeys, userArn, type AuthorizationRequest } from '../src';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/Books';
const INDEX = `${TABLE}/index/ByAuthor`;

function request(action: string, resource: string, keys: Record<string, string | string[] | undefined> = {}): AuthorizationRequest {
  return { action, resource, keys: requestKeys({ 'aws:username': 'alice', ...keys }) };
}

function decide(policy: unknown, req: AuthorizationRequest): string {
  return evaluatePolicies([parsePolicyDocument(JSON.stringify(policy))], req).effect;
}

const allow = (Action: unknown, Resource: unknown, Condition?: unknown) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) }] });

describe('actions and resources', () => {
  test('default deny: no statement applies', () => {
    expect(decide(allow('dynamodb:GetItem', TABLE), request('dynamodb:PutItem', TABLE))).toBe('implicitDeny');
  });

  test('an action wildcard and case-insensitive action names', () => {
    expect(decide(allow('dynamodb:Get*', TABLE), request('dynamodb:GetItem', TABLE))).toBe('allow');
    expect(decide(allow('DynamoDB:getitem', TABLE), request('dynamodb:GetItem', TABLE))).toBe('allow');
    expect(decide(allow('dynamodb:*', TABLE), request('dynamodb:DeleteTable', TABLE))).toBe('allow');
    expect(decide(allow('dynamodb:Get?tem', TABLE), request('dynamodb:GetItem', TABLE))).toBe('allow');
    expect(decide(allow('dynamodb:Get*', TABLE), request('dynamodb:PutItem', TABLE))).toBe('implicitDeny');
  });

  test('a table ARN does not cover its indexes; table/Books/index/* does', () => {
    expect(decide(allow('dynamodb:Query', TABLE), request('dynamodb:Query', INDEX))).toBe('implicitDeny');
    expect(decide(allow('dynamodb:Query', `${TABLE}/index/*`), request('dynamodb:Query', INDEX))).toBe('allow');
    expect(decide(allow('dynamodb:Query', `${TABLE}*`), request('dynamodb:Query', INDEX))).toBe('allow');
  });

  test('resources compare case-sensitively', () => {
    expect(decide(allow('dynamodb:GetItem', TABLE.toLowerCase()), request('dynamodb:GetItem', TABLE))).toBe('implicitDeny');
  });

  test('an explicit deny wins over any allow, in any policy', () => {
    const allowAll = parsePolicyDocument(allow('dynamodb:*', '*'));
    const denyDelete = parsePolicyDocument({ Version: '2012-10-17', Statement: { Sid: 'NoDeletes', Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE } });
    expect(evaluatePolicies([allowAll, denyDelete], request('dynamodb:DeleteItem', TABLE))).toEqual({ effect: 'explicitDeny', sid: 'NoDeletes' });
    expect(evaluatePolicies([allowAll, denyDelete], request('dynamodb:PutItem', TABLE)).effect).toBe('allow');
  });

  test('NotAction and NotResource', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'dynamodb:Delete*', NotResource: `${TABLE}/index/*` }] };
    expect(decide(policy, request('dynamodb:PutItem', TABLE))).toBe('allow');
    expect(decide(policy, request('dynamodb:DeleteTable', TABLE))).toBe('implicitDeny');
    expect(decide(policy, request('dynamodb:Query', INDEX))).toBe('implicitDeny');
  });

  test('policy variables in resources', () => {
    const policy = allow('dynamodb:*', 'arn:aws:dynamodb:*:*:table/${aws:username}-*');
    expect(decide(policy, request('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/alice-notes'))).toBe('allow');
    expect(decide(policy, request('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/bob-notes'))).toBe('implicitDeny');
    // A variable the request lacks matches nothing, not the literal text.
    const unresolved = allow('dynamodb:*', 'arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}');
    expect(decide(unresolved, request('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/${aws:PrincipalTag/team}'))).toBe('implicitDeny');
  });
});

describe('conditions', () => {
  const leadingKeys = (op: string, values: string[]) => allow(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'], TABLE, { [op]: { 'dynamodb:LeadingKeys': values } });

  test('ForAllValues:StringEquals on LeadingKeys: every key must be allowed', () => {
    const policy = leadingKeys('ForAllValues:StringEquals', ['${aws:username}']);
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['alice'] }))).toBe('allow');
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['bob'] }))).toBe('implicitDeny');
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['alice', 'bob'] }))).toBe('implicitDeny');
    // IAM's documented trap: ForAllValues holds when the key is absent (a Scan has no leading key).
    expect(decide(policy, request('dynamodb:Scan', TABLE))).toBe('allow');
  });

  test('ForAnyValue needs at least one match and fails on an absent key', () => {
    const policy = leadingKeys('ForAnyValue:StringEquals', ['alice']);
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['bob', 'alice'] }))).toBe('allow');
    expect(decide(policy, request('dynamodb:Scan', TABLE))).toBe('implicitDeny');
  });

  test('attributes with Select IfExists, as in AWS example policies', () => {
    const policy = allow('dynamodb:GetItem', TABLE, {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'title'] },
      StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    });
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:Attributes': ['id', 'title'] }))).toBe('allow');
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:Attributes': ['id', 'price'] }))).toBe('implicitDeny');
    expect(decide(policy, request('dynamodb:GetItem', TABLE, { 'dynamodb:Attributes': ['id'], 'dynamodb:Select': 'ALL_ATTRIBUTES' }))).toBe('implicitDeny');
  });

  test('negated operators hold on an absent key; positive ones fail', () => {
    const notEquals = allow('dynamodb:PutItem', TABLE, { StringNotEquals: { 'dynamodb:ReturnValues': 'ALL_OLD' } });
    expect(decide(notEquals, request('dynamodb:PutItem', TABLE))).toBe('allow');
    expect(decide(notEquals, request('dynamodb:PutItem', TABLE, { 'dynamodb:ReturnValues': 'ALL_OLD' }))).toBe('implicitDeny');
    expect(decide(notEquals, request('dynamodb:PutItem', TABLE, { 'dynamodb:ReturnValues': 'NONE' }))).toBe('allow');
    const equals = allow('dynamodb:PutItem', TABLE, { StringEquals: { 'dynamodb:ReturnValues': ['NONE', 'ALL_OLD'] } });
    expect(decide(equals, request('dynamodb:PutItem', TABLE))).toBe('implicitDeny');
    expect(decide(equals, request('dynamodb:PutItem', TABLE, { 'dynamodb:ReturnValues': 'ALL_OLD' }))).toBe('allow');
  });

  test('condition keys compare without regard to case; several conditions must all hold', () => {
    const policy = allow('dynamodb:Query', TABLE, {
      StringEquals: { 'DynamoDB:select': 'COUNT' },
      'ForAllValues:StringLike': { 'dynamodb:leadingkeys': 'team-*' },
    });
    expect(decide(policy, request('dynamodb:Query', TABLE, { 'dynamodb:Select': 'COUNT', 'dynamodb:LeadingKeys': ['team-7'] }))).toBe('allow');
    expect(decide(policy, request('dynamodb:Query', TABLE, { 'dynamodb:Select': 'COUNT', 'dynamodb:LeadingKeys': ['user-7'] }))).toBe('implicitDeny');
    expect(decide(policy, request('dynamodb:Query', TABLE, { 'dynamodb:Select': 'ALL_ATTRIBUTES', 'dynamodb:LeadingKeys': ['team-7'] }))).toBe('implicitDeny');
  });

  test('Null, Bool, numeric and date operators', () => {
    const mustHaveKeys = allow('dynamodb:GetItem', TABLE, { Null: { 'dynamodb:LeadingKeys': 'false' } });
    expect(decide(mustHaveKeys, request('dynamodb:GetItem', TABLE))).toBe('implicitDeny');
    expect(decide(mustHaveKeys, request('dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['a'] }))).toBe('allow');
    const secure = allow('dynamodb:GetItem', TABLE, { Bool: { 'aws:SecureTransport': true } });
    expect(decide(secure, request('dynamodb:GetItem', TABLE, { 'aws:SecureTransport': 'true' }))).toBe('allow');
    expect(decide(secure, request('dynamodb:GetItem', TABLE, { 'aws:SecureTransport': 'false' }))).toBe('implicitDeny');
    const before = allow('dynamodb:GetItem', TABLE, { DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } });
    expect(decide(before, request('dynamodb:GetItem', TABLE, { 'aws:CurrentTime': '2026-12-07T10:00:00Z' }))).toBe('allow');
    expect(decide(before, request('dynamodb:GetItem', TABLE, { 'aws:CurrentTime': '2027-02-01T00:00:00Z' }))).toBe('implicitDeny');
    const small = allow('dynamodb:Scan', TABLE, { NumericLessThanEquals: { 'triad:Limit': 100 } });
    expect(decide(small, request('dynamodb:Scan', TABLE, { 'triad:Limit': '100' }))).toBe('allow');
    expect(decide(small, request('dynamodb:Scan', TABLE, { 'triad:Limit': '101' }))).toBe('implicitDeny');
  });
});

describe('parsing', () => {
  test.each([
    ['not JSON', '{', /Syntax errors/],
    ['no statement', JSON.stringify({ Version: '2012-10-17' }), /Statement/],
    ['a bad effect', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Maybe', Action: '*', Resource: '*' } }), /Effect/],
    ['a principal', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' } }), /principal/],
    ['no actions', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Resource: '*' } }), /actions/],
    ['no resources', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*' } }), /resources/],
    ['an unknown operator', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringSorta: { a: 'b' } } } }), /operator/],
    ['Null with IfExists', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { NullIfExists: { a: 'true' } } } }), /operator/],
    ['a bad version', JSON.stringify({ Version: '2020-01-01', Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }), /Version/],
    ['an unknown field', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*', Actions: 'x' } }), /unknown field/],
    ['a malformed action', JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'GetItem', Resource: '*' } }), /service:Name/],
  ])('%s is refused', (_name, text, message) => {
    expect(() => parsePolicyDocument(text)).toThrow(PolicyError);
    expect(() => parsePolicyDocument(text)).toThrow(message);
  });

  test('an attribute named __proto__ in a condition is an ordinary key', () => {
    const doc = parsePolicyDocument('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["__proto__"]}}}}');
    expect(evaluatePolicies([doc], request('dynamodb:GetItem', TABLE, { 'dynamodb:Attributes': ['__proto__'] })).effect).toBe('allow');
  });
});

test("AccessDeniedException's message names principal, action, resource and the reason", () => {
  const arn = userArn('000000000000', 'alice');
  expect(accessDeniedMessage(arn, 'dynamodb:PutItem', TABLE, { effect: 'implicitDeny' })).toBe(
    `User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:PutItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:PutItem action`,
  );
  expect(accessDeniedMessage(arn, 'dynamodb:PutItem', TABLE, { effect: 'explicitDeny' })).toMatch(/with an explicit deny in an identity-based policy$/);
});
