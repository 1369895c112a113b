import { AccessDeniedException } from '@triad/model';
import { parsePolicyDocument } from '@triad/iam';
import { itemRequest, pointReadSelect, policyCaller, resourceArn, resourceRequest, UNRESTRICTED_CALLER, type PolicyPrincipal } from '../src/authorization';

const scope = { region: 'us-east-1', accountId: '000000000000' };
const books = resourceArn(scope, 'Books');
const origin = { accountId: scope.accountId, nowMs: Date.UTC(2026, 11, 7), secureTransport: true, sourceIp: '127.0.0.1' };

function principal(policy: unknown, admin = false): PolicyPrincipal {
  return { accessKeyId: 'AKIDALICE', userName: 'alice', admin, policies: [parsePolicyDocument(JSON.stringify(policy))] };
}

const ownItemsOnly = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
      Resource: ['arn:aws:dynamodb:*:*:table/Books', 'arn:aws:dynamodb:*:*:table/Books/index/*'],
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:username}'] } },
    },
  ],
};

test('index resources are the table ARN with /index/<name>', () => {
  expect(books).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/Books');
  expect(resourceArn(scope, 'Books', 'ByAuthor')).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/Books/index/ByAuthor');
});

test("a key's policy allows its own partition and denies another's, naming principal, action and resource", () => {
  const caller = policyCaller(principal(ownItemsOnly), origin);
  expect(() => caller.authorize([itemRequest('GetItem', books, { leadingKey: { S: 'alice' } })])).not.toThrow();
  const denied = () => caller.authorize([itemRequest('GetItem', books, { leadingKey: { S: 'bob' } })]);
  expect(denied).toThrow(AccessDeniedException);
  expect(denied).toThrow(
    'User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/Books because no identity-based policy allows the dynamodb:GetItem action',
  );
});

test('one denied item of a batch denies the batch', () => {
  const caller = policyCaller(principal(ownItemsOnly), origin);
  const items = ['alice', 'alice', 'bob'].map((owner) => itemRequest('BatchWriteItem', books, { leadingKey: { S: owner } }));
  expect(() => caller.authorize(items.slice(0, 2))).not.toThrow();
  expect(() => caller.authorize(items)).toThrow(AccessDeniedException);
});

test('actions the policy does not name are denied by default; an admin key may do anything', () => {
  expect(() => policyCaller(principal(ownItemsOnly), origin).authorize([resourceRequest('DeleteTable', books)])).toThrow(/dynamodb:DeleteTable/);
  expect(() => policyCaller(principal(ownItemsOnly, true), origin).authorize([resourceRequest('DeleteTable', books)])).not.toThrow();
  expect(() => UNRESTRICTED_CALLER.authorize([resourceRequest('DeleteTable', books)])).not.toThrow();
});

test('attributes: a read of a whole item is denied where a policy allows only some attributes', () => {
  const someAttributes = {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: books,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['id', 'title'] }, StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' } },
    },
  };
  const caller = policyCaller(principal(someAttributes), origin);
  expect(() => caller.authorize([itemRequest('GetItem', books, { attributes: ['title'], select: pointReadSelect(true) })])).not.toThrow();
  expect(() => caller.authorize([itemRequest('GetItem', books, { attributes: ['price'], select: pointReadSelect(true) })])).toThrow(AccessDeniedException);
  expect(() => caller.authorize([itemRequest('GetItem', books, { select: pointReadSelect(false) })])).toThrow(AccessDeniedException);
});

test('a number or binary partition key compares as its text', () => {
  const policy = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: books, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['42', 'AQI='] } } } };
  const caller = policyCaller(principal(policy), origin);
  expect(() => caller.authorize([itemRequest('GetItem', books, { leadingKey: { N: '42' } })])).not.toThrow();
  expect(() => caller.authorize([itemRequest('GetItem', books, { leadingKey: { B: 'AQI=' } })])).not.toThrow();
  expect(() => caller.authorize([itemRequest('GetItem', books, { leadingKey: { N: '43' } })])).toThrow(AccessDeniedException);
});
