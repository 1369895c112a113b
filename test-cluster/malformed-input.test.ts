/**
 * Malformed requests get DynamoDB's error type, message and HTTP 400, and the router goes on
 * serving. Sent with raw node:http so that no SDK-side validation gets in the way.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { errorName, rawRequest, type RawRequest, type RawResponse } from './support/raw-request';
import { createTable, dynamoClient } from '@triad/harness';
import { ROUTER_ID, startTestCluster, type TestCluster } from './support/test-cluster';

const SLOT = 3;
const TABLE = 'strict';

let tc: TestCluster;
let client: DynamoDBClient;

beforeAll(async () => {
  tc = await startTestCluster(SLOT);
  client = dynamoClient(tc.endpoint);
  await createTable(client, TABLE, ['id', 'S']);
  const put = await rawRequest(tc.endpoint, { operation: 'PutItem', body: { TableName: TABLE, Item: { id: { S: 'known' }, v: { N: '1' } } } });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  client?.destroy();
  await tc?.stop();
});

/** Checks the DynamoDB error shape: 400, JSON content type, a request id, `__type` = namespace#name. */
function expectError(response: RawResponse, name: string, message: string | undefined): void {
  expect({ status: response.status, name: errorName(response), body: response.json }).toEqual({
    status: 400,
    name,
    body: expect.objectContaining({ __type: expect.stringMatching(new RegExp(`^[a-z0-9.]+#${name}$`)) }),
  });
  expect(response.headers['content-type']).toBe('application/x-amz-json-1.0');
  expect(response.headers['x-amzn-requestid']).toMatch(/^[A-Z0-9]{52}$/);
  if (message === undefined) {
    // DynamoDB sends no message at all for these.
    expect(Object.keys(response.json!)).toEqual(['__type']);
  } else {
    expect(response.json!.message ?? response.json!.Message).toBe(message);
  }
}

test('a request without an Authorization header gets MissingAuthenticationTokenException', async () => {
  const response = await rawRequest(tc.endpoint, { operation: 'ListTables', body: {}, authorization: false });
  expectError(response, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
});

test('a body that is not JSON gets SerializationException without a message', async () => {
  const response = await rawRequest(tc.endpoint, { operation: 'GetItem', body: '{"TableName": "strict", "Key": {' });
  expectError(response, 'SerializationException', undefined);
});

test('an unknown operation in X-Amz-Target gets UnknownOperationException without a message', async () => {
  const response = await rawRequest(tc.endpoint, { target: 'DynamoDB_20120810.FrobnicateTable', body: { TableName: TABLE } });
  expectError(response, 'UnknownOperationException', undefined);
});

const INVALID = 'One or more parameter values were invalid:';
const BIG = 'x'.repeat(400 * 1024);

const cases: [string, string, string, RawRequest][] = [
  [
    'PutItem without the key attribute',
    'ValidationException',
    `${INVALID} Missing the key id in the item`,
    { operation: 'PutItem', body: { TableName: TABLE, Item: { other: { S: 'a' } } } },
  ],
  [
    'PutItem with a wrongly typed key attribute',
    'ValidationException',
    `${INVALID} Type mismatch for key id expected: S actual: N`,
    { operation: 'PutItem', body: { TableName: TABLE, Item: { id: { N: '1' } } } },
  ],
  [
    'GetItem without the key attribute',
    'ValidationException',
    'The provided key element does not match the schema',
    { operation: 'GetItem', body: { TableName: TABLE, Key: { other: { S: 'a' } } } },
  ],
  [
    'GetItem with an empty key',
    'ValidationException',
    'The provided key element does not match the schema',
    { operation: 'GetItem', body: { TableName: TABLE, Key: {} } },
  ],
  [
    'GetItem with a wrongly typed key attribute',
    'ValidationException',
    'The provided key element does not match the schema',
    { operation: 'GetItem', body: { TableName: TABLE, Key: { id: { N: '1' } } } },
  ],
  [
    'PutItem of an item over 400 KB',
    'ValidationException',
    'Item size has exceeded the maximum allowed size',
    { operation: 'PutItem', body: { TableName: TABLE, Item: { id: { S: 'big' }, blob: { S: BIG } } } },
  ],
  [
    'Query without a key condition',
    'ValidationException',
    'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
    { operation: 'Query', body: { TableName: TABLE } },
  ],
  [
    'GetItem on a table that does not exist',
    'ResourceNotFoundException',
    'Requested resource not found',
    { operation: 'GetItem', body: { TableName: 'no_such_table', Key: { id: { S: 'a' } } } },
  ],
  [
    'PutItem on a table that does not exist',
    'ResourceNotFoundException',
    'Requested resource not found',
    { operation: 'PutItem', body: { TableName: 'no_such_table', Item: { id: { S: 'a' } } } },
  ],
  [
    'Query on a table that does not exist',
    'ResourceNotFoundException',
    'Requested resource not found',
    {
      operation: 'Query',
      body: { TableName: 'no_such_table', KeyConditionExpression: 'id = :v', ExpressionAttributeValues: { ':v': { S: 'a' } } },
    },
  ],
];

test.each(cases)('%s: %s "%s"', async (_title, name, message, request) => {
  expectError(await rawRequest(tc.endpoint, request), name, message);
});

test('nothing was written by the rejected requests', async () => {
  for (const id of ['big', 'a']) {
    const response = await rawRequest(tc.endpoint, { operation: 'GetItem', body: { TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true } });
    expect({ id, status: response.status, body: response.json }).toEqual({ id, status: 200, body: {} });
  }
});

test('after all the malformed requests, the router still serves normal requests', async () => {
  expect(tc.cluster.isRunning(ROUTER_ID)).toBe(true);
  const raw = await rawRequest(tc.endpoint, { operation: 'GetItem', body: { TableName: TABLE, Key: { id: { S: 'known' } } } });
  expect({ status: raw.status, body: raw.json }).toEqual({ status: 200, body: { Item: { id: { S: 'known' }, v: { N: '1' } } } });
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: 'known' } }, ConsistentRead: true }));
  expect(Item).toEqual({ id: { S: 'known' }, v: { N: '1' } });
  expect(tc.unexpectedExits).toEqual([]);
});
