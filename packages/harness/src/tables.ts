import {
  CreateTableCommand,
  DescribeTableCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type ScalarAttributeType,
} from '@aws-sdk/client-dynamodb';
import { eventually } from './eventually';

/** Creates a on-demand table with the given key (`[name, type]` pairs: hash, then optional range) and waits until it is ACTIVE. */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  hash: [string, ScalarAttributeType],
  range?: [string, ScalarAttributeType],
): Promise<void> {
  const keySchema: KeySchemaElement[] = [{ AttributeName: hash[0], KeyType: 'HASH' }];
  const definitions: AttributeDefinition[] = [{ AttributeName: hash[0], AttributeType: hash[1] }];
  if (range) {
    keySchema.push({ AttributeName: range[0], KeyType: 'RANGE' });
    definitions.push({ AttributeName: range[0], AttributeType: range[1] });
  }
  await client.send(
    new CreateTableCommand({ TableName: tableName, KeySchema: keySchema, AttributeDefinitions: definitions, BillingMode: 'PAY_PER_REQUEST' }),
  );
  await waitForActive(client, tableName);
}

/** Polls DescribeTable until the table is ACTIVE. */
export async function waitForActive(client: DynamoDBClient, tableName: string): Promise<void> {
  await eventually(`table ${tableName} to be ACTIVE`, async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus !== 'ACTIVE') throw new Error(`${tableName} is ${Table?.TableStatus}`);
  });
}
