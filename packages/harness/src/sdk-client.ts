import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The credentials test clients sign with: any credentials do in open mode, and a test cluster
 * started with TRIAD_TEST_AUTH=enforce seeds exactly this key (admin), so that the same tests run
 * with authentication enforced.
 */
export const TEST_CREDENTIALS = { accessKeyId: 'TRIADTESTSUITEKEY001', secretAccessKey: 'triad-test-suite-secret-0123456789abcdef' } as const;

/**
 * An AWS SDK v3 DynamoDB client for a test cluster: dummy credentials, us-east-1, and by default
 * no SDK retries, so that a failure inside the cluster reaches the test instead of being retried
 * away. Call `destroy()` when done.
 */
export function dynamoClient(
  endpoint: string,
  options: {
    maxAttempts?: number;
    requestTimeoutMs?: number;
    /** Default: TEST_CREDENTIALS. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    /** Signs as if the clock were this far ahead (negative: behind), for signature-window tests. */
    systemClockOffsetMs?: number;
  } = {},
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: options.credentials ?? TEST_CREDENTIALS,
    systemClockOffset: options.systemClockOffsetMs,
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
  });
}
