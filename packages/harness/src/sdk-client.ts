import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * An AWS SDK v3 DynamoDB client for a test cluster: dummy credentials, us-east-1, and by default
 * no SDK retries, so that a failure inside the cluster reaches the test instead of being retried
 * away. Call `destroy()` when done.
 */
export function dynamoClient(endpoint: string, options: { maxAttempts?: number; requestTimeoutMs?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
  });
}
