/**
 * Helpers for the conformance suites: requests go out as raw JSON (no SDK-side checks or
 * conversions), and answers are checked against DynamoDB's exact HTTP status, `__type` and message.
 */
import type { ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import { errorName, rawRequest, type RawResponse } from './raw-request';
import { createTable, dynamoClient } from '@triad/harness';
import { startTestCluster, type TestCluster } from './test-cluster';

export type Json = Record<string, unknown>;

/** Sends one DynamoDB operation to `endpoint` and returns the raw answer. */
export type Api = (operation: string, body: unknown) => Promise<RawResponse>;

export function apiFor(endpoint: string): Api {
  return (operation, body) => rawRequest(endpoint, { operation, body });
}

/** The namespace DynamoDB puts in `__type` for each error name. */
export const ERROR_NAMESPACES: Record<string, string> = {
  ValidationException: 'com.amazon.coral.validate',
  SerializationException: 'com.amazon.coral.service',
  UnknownOperationException: 'com.amazon.coral.service',
  ResourceNotFoundException: 'com.amazonaws.dynamodb.v20120810',
  ConditionalCheckFailedException: 'com.amazonaws.dynamodb.v20120810',
};

/** The body of a successful answer; fails with the error body otherwise. */
export function ok(response: RawResponse): Json {
  expect({ status: response.status, body: response.status === 200 ? 'ok' : response.json ?? response.text }).toEqual({ status: 200, body: 'ok' });
  return response.json!;
}

/**
 * Checks a DynamoDB error: HTTP 400, `__type` with the namespace AWS uses, and the exact message
 * (a string) or one matching a pattern. SerializationException carries it as `Message`, as AWS does.
 */
export function expectError(response: RawResponse, name: string, message?: string | RegExp): void {
  const namespace = ERROR_NAMESPACES[name] ?? 'com.amazonaws.dynamodb.v20120810';
  const actualMessage = response.json?.message ?? response.json?.Message;
  const actual = { status: response.status, type: response.json?.__type, message: actualMessage };
  const expected = {
    status: 400,
    type: `${namespace}#${name}`,
    message: message === undefined ? actualMessage : typeof message === 'string' ? message : expect.stringMatching(message),
  };
  if (errorName(response) !== name || response.status !== 400) {
    // Show the whole body when the error is not even of the right kind.
    expect({ ...actual, body: response.text }).toEqual({ ...expected, body: response.text });
  }
  expect(actual).toEqual(expected);
}

/** Sends and expects an error in one step. */
export async function expectFailure(api: Api, operation: string, body: unknown, name: string, message?: string | RegExp): Promise<void> {
  expectError(await api(operation, body), name, message);
}

/** Sends and expects success in one step; returns the body. */
export async function expectSuccess(api: Api, operation: string, body: unknown): Promise<Json> {
  return ok(await api(operation, body));
}

/** "One or more parameter values were invalid: " — the prefix of many DynamoDB messages. */
export const INVALID = 'One or more parameter values were invalid:';

/** Escapes text for use inside a RegExp. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A value nested `depth` levels deep: depth 1 is the scalar itself, each level adds a list around it. */
export function nestedList(depth: number, leaf: Json = { S: 'x' }): Json {
  let value = leaf;
  for (let i = 1; i < depth; i++) value = { L: [value] };
  return value;
}

/** As nestedList, with maps: each level is `{M: {m: ...}}`. */
export function nestedMap(depth: number, leaf: Json = { S: 'x' }): Json {
  let value = leaf;
  for (let i = 1; i < depth; i++) value = { M: { m: value } };
  return value;
}

/** A table of a conformance file: its partition key and optional sort key. */
export type TableKeys = [[string, ScalarAttributeType], [string, ScalarAttributeType]?];

/** A conformance file's cluster; its members are set once the file's tests run. */
export interface ConformanceCluster {
  tc: TestCluster;
  /** Raw requests to the cluster's router. */
  api: Api;
}

/**
 * The cluster of one conformance file, on its own slot: started before the file's tests with the
 * given tables, checked after each test for processes that exited unasked, stopped after all.
 */
export function conformanceCluster(slot: number, tables: Record<string, TableKeys>): ConformanceCluster {
  const cluster = {} as ConformanceCluster;
  beforeAll(async () => {
    cluster.tc = await startTestCluster(slot);
    cluster.api = apiFor(cluster.tc.endpoint);
    const client = dynamoClient(cluster.tc.endpoint);
    try {
      for (const [name, [hash, range]] of Object.entries(tables)) await createTable(client, name, hash, range);
    } finally {
      client.destroy();
    }
  });
  afterAll(async () => {
    await cluster.tc?.stop();
  });
  afterEach(() => {
    if (cluster.tc) expect(cluster.tc.unexpectedExits).toEqual([]);
  });
  return cluster;
}
