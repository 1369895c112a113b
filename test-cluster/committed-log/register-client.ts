/**
 * Writes and strong reads of one-item registers through the DynamoDB API, recorded in a
 * RegisterHistory. A register is the item {pk: key, sk: 1, v: value} of a table keyed (pk S, sk N);
 * a strong read of it goes by GetItem, by Query of its partition key, or by a parallel-scan segment
 * that covers exactly its partition (TotalSegments = partition count, so segment p is partition p).
 */
import { GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { nowMs } from '@triad/harness';
import type { RegisterHistory, Value, WriteOutcome } from './register-history';

export type ReadVia = 'GetItem' | 'Query' | 'Scan';
export const ALL_READS: readonly ReadVia[] = ['GetItem', 'Query', 'Scan'];

/** Pages one scan segment may take: a test's partition holds a few small items, one page. */
const SCAN_PAGES_MAX = 10;

/**
 * What an error says about a write's effect: a 4xx is DynamoDB refusing it (no effect); a 5xx, a
 * timeout or a broken connection leaves it unknown.
 */
export function outcomeOfError(error: unknown): Exclude<WriteOutcome, 'ok'> {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 ? 'refused' : 'unknown';
}

/** A short name for an error, for tallies: the DynamoDB error type, or the SDK's error name. */
export function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? String(error);
}

const valueOf = (item: Record<string, { S?: string }> | undefined): Value => (item ? (item.v?.S ?? null) : null);

export interface RegisterTable {
  tableName: string;
  partitionCount: number;
}

/** Puts `value` into register `key`; records the write and resolves with its outcome (never rejects). */
export async function writeRegister(client: DynamoDBClient, table: RegisterTable, history: RegisterHistory, key: string, value: string): Promise<WriteOutcome> {
  const record = history.begin(key, value, nowMs());
  try {
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: key }, sk: { N: '1' }, v: { S: value } } }));
    history.end(record, 'ok', nowMs());
  } catch (error) {
    history.end(record, outcomeOfError(error), nowMs());
  }
  return record.outcome as WriteOutcome;
}

/**
 * One strong read of `keys` by `via` (all of them in `partition`): GetItem and Query read each key
 * on its own, Scan reads the partition once and answers for every key. Records what was served;
 * resolves with the number of reads served and the errors of those that were not.
 */
export async function readRegisters(
  client: DynamoDBClient,
  table: RegisterTable,
  history: RegisterHistory,
  partition: number,
  keys: readonly string[],
  via: ReadVia,
): Promise<{ served: number; errors: string[] }> {
  const errors: string[] = [];
  let served = 0;
  const attempt = async (read: () => Promise<Map<string, Value>>) => {
    const startMs = nowMs();
    try {
      const values = await read();
      const endMs = nowMs();
      for (const [key, value] of values) history.read({ key, value, startMs, endMs, via });
      served++;
    } catch (error) {
      errors.push(errorName(error));
    }
  };
  if (via === 'Scan') {
    await attempt(async () => {
      const seen = new Map<string, Value>(keys.map((k) => [k, null]));
      let start: Record<string, never> | undefined;
      for (let page = 0; ; page++) {
        if (page >= SCAN_PAGES_MAX) throw new Error(`scan of partition ${partition} took over ${SCAN_PAGES_MAX} pages`);
        const reply = await client.send(
          new ScanCommand({
            TableName: table.tableName,
            ConsistentRead: true,
            Segment: partition,
            TotalSegments: table.partitionCount,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of reply.Items ?? []) {
          const key = item.pk?.S;
          if (key !== undefined && seen.has(key)) seen.set(key, valueOf(item as never));
        }
        start = reply.LastEvaluatedKey as typeof start;
        if (!start) return seen;
      }
    });
  } else {
    await Promise.all(
      keys.map((key) =>
        attempt(async () => {
          if (via === 'GetItem') {
            const { Item } = await client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: key }, sk: { N: '1' } }, ConsistentRead: true }));
            return new Map([[key, valueOf(Item as never)]]);
          }
          const { Items } = await client.send(
            new QueryCommand({
              TableName: table.tableName,
              ConsistentRead: true,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: key } },
            }),
          );
          const item = (Items ?? []).find((i) => i.sk?.N === '1');
          return new Map([[key, valueOf(item as never)]]);
        }),
      ),
    );
  }
  return { served, errors };
}
