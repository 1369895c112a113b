/**
 * compilePolicies against its naive twin, evaluatePolicies: the same decision (effect and sid) for
 * random policies and requests drawn from values that exercise every rule (wildcards in actions and
 * resources, action case, NotAction / NotResource, policy variables with and without defaults,
 * every operator family with IfExists and set qualifiers, absent and multivalued keys).
 */
import { compilePolicies, evaluatePolicies, parsePolicyDocument, requestKeys, type PolicyDocument } from '../src';

/** A small seeded generator (xorshift32): a failing seed is printed and replays. */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table';
const ACTIONS = ['*', 'dynamodb:*', 'dynamodb:GetItem', 'dynamodb:getitem', 'DynamoDB:PutItem', 'dynamodb:Get*', 'dynamodb:?etItem', 'dynamodb:Query', 's3:*', 'dynamodb:Batch*Item'];
const REQUEST_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DeleteTable', 'dynamodb:ListTables'];
const RESOURCES = [
  '*',
  `${TABLE}/Books`,
  `${TABLE}/books`,
  `${TABLE}/Books/index/*`,
  `${TABLE}/B?oks`,
  'arn:aws:dynamodb:*:*:table/*',
  `${TABLE}/\${aws:username}`,
  `${TABLE}/\${aws:username}-*`,
  `${TABLE}/\${dynamodb:Select, 'Books'}`,
  `${TABLE}/\${missing:key}`,
  `${TABLE}/\${*}`,
];
const REQUEST_RESOURCES = ['*', `${TABLE}/Books`, `${TABLE}/books`, `${TABLE}/Books/index/ByAuthor`, `${TABLE}/alice`, `${TABLE}/alice-orders`, `${TABLE}/*`];
const OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThanEquals',
  'DateLessThan',
  'DateGreaterThan',
  'Bool',
  'ArnEquals',
  'ArnLike',
  'ArnNotLike',
  'Null',
];
const KEYS = ['dynamodb:LeadingKeys', 'dynamodb:Attributes', 'dynamodb:Select', 'aws:username', 'aws:SecureTransport', 'aws:CurrentTime', 'aws:EpochTime', 'dynamodb:returnvalues'];
const POLICY_VALUES = [
  'alice',
  'Alice',
  'al*',
  'a?ice',
  '${aws:username}',
  '${aws:username}*',
  "${aws:userid, 'bob'}",
  '${missing}',
  'SPECIFIC_ATTRIBUTES',
  'ALL_ATTRIBUTES',
  'true',
  'false',
  '10',
  '1.5e1',
  '2026-12-07T10:00:00Z',
  '1796637600',
  `${TABLE}/Books`,
  `${TABLE}/*`,
  '*',
];
const REQUEST_VALUES = ['alice', 'ALICE', 'alicia', 'bob', 'SPECIFIC_ATTRIBUTES', 'ALL_ATTRIBUTES', 'true', 'False', '10', '15', '9', '2026-12-07T09:00:00Z', '1796640000', `${TABLE}/Books`, '', 'x*'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function some<T>(random: () => number, items: readonly T[], max: number): T[] {
  return Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(random, items));
}

function randomPolicy(random: () => number): PolicyDocument {
  const statements = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => {
    const statement: Record<string, unknown> = { Effect: random() < 0.7 ? 'Allow' : 'Deny' };
    if (random() < 0.6) statement.Sid = `S${i}`;
    statement[random() < 0.8 ? 'Action' : 'NotAction'] = random() < 0.5 ? pick(random, ACTIONS) : some(random, ACTIONS, 3);
    statement[random() < 0.8 ? 'Resource' : 'NotResource'] = random() < 0.5 ? pick(random, RESOURCES) : some(random, RESOURCES, 3);
    if (random() < 0.7) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (let c = 0; c < 1 + Math.floor(random() * 2); c++) {
        let operator = pick(random, OPERATORS);
        if (operator !== 'Null') {
          if (random() < 0.25) operator += 'IfExists';
          const qualifier = random();
          if (qualifier < 0.2) operator = `ForAllValues:${operator}`;
          else if (qualifier < 0.4) operator = `ForAnyValue:${operator}`;
        }
        const values = operator === 'Null' ? pick(random, ['true', 'false', ['true', 'false']]) : random() < 0.5 ? pick(random, POLICY_VALUES) : some(random, POLICY_VALUES, 3);
        (condition[operator] ??= {})[pick(random, KEYS)] = values;
      }
      statement.Condition = condition;
    }
    return statement;
  });
  return parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
}

function randomKeys(random: () => number) {
  const entries: Record<string, string | string[]> = {};
  for (const key of KEYS) {
    const dice = random();
    if (dice < 0.35) continue;
    entries[key] = dice < 0.7 ? pick(random, REQUEST_VALUES) : dice < 0.9 ? some(random, REQUEST_VALUES, 3) : [];
  }
  return requestKeys(entries);
}

describe('compilePolicies', () => {
  test('decides as evaluatePolicies on 300 random policy sets, 40 random requests each', () => {
    let decisions = 0;
    const effects = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const random = prng(seed);
      const policies = Array.from({ length: 1 + Math.floor(random() * 2) }, () => randomPolicy(random));
      const compiled = compilePolicies(policies);
      for (let r = 0; r < 40; r++) {
        const request = { action: pick(random, REQUEST_ACTIONS), resource: pick(random, REQUEST_RESOURCES), keys: randomKeys(random) };
        const expected = evaluatePolicies(policies, request);
        const actual = compiled.evaluate(request.action, request.resource, request.keys);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`seed ${seed}, request ${r}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}\n${JSON.stringify(policies)}\n${JSON.stringify({ ...request, keys: [...request.keys] })}`);
        }
        effects.add(expected.effect);
        decisions++;
      }
    }
    expect(decisions).toBe(12_000);
    // The draws reach every outcome (a generator that only ever denies would prove little).
    expect([...effects].sort()).toEqual(['allow', 'explicitDeny', 'implicitDeny']);
  });

  test('evaluates with keys from any lookup (layers, not one merged map)', () => {
    const [policy] = [parsePolicyDocument({ Statement: { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `${TABLE}/\${aws:username}` } })];
    const compiled = compilePolicies([policy]);
    const layered = { get: (name: string) => (name === 'aws:username' ? ['alice'] : undefined) };
    expect(compiled.evaluate('dynamodb:GetItem', `${TABLE}/alice`, layered)).toEqual({ effect: 'allow', sid: undefined });
    expect(compiled.evaluate('dynamodb:GetItem', `${TABLE}/bob`, layered)).toEqual({ effect: 'implicitDeny' });
  });
});
