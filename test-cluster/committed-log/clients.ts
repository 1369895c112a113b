/**
 * AWS SDK clients for these tests. Unlike @triad/harness's dynamoClient (sdk-client.ts), the request timeout is enforced:
 * @smithy/node-http-handler 4.x only logs a warning when `requestTimeout` passes unless
 * `throwOnRequestTimeout` is set, so a request to a stalled cluster would otherwise wait for the
 * router's own answer (up to its 10 s deadline) or forever.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TEST_CREDENTIALS } from '@triad/harness';

export interface ClientOptions {
  /** Attempts per request, first included; undefined: the SDK's default retry strategy (3 attempts). */
  maxAttempts?: number;
  /** Each attempt fails with a TimeoutError after this long. */
  requestTimeoutMs: number;
}

export function timedClient(endpoint: string, options: ClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: 5_000, throwOnRequestTimeout: true },
  });
}
