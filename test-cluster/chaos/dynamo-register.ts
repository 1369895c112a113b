/**
 * One DynamoDB item used as a register, through the AWS SDK and a router: the register's value is
 * the item's `v` string attribute, absent when the item is. Every call is one attempt (the client
 * has `maxAttempts: 1`), and its outcome is classified the way the linearizability checker needs it.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type PutItemCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The table's partition key attribute. */
export const KEY_ATTRIBUTE = 'pk';
/** The attribute holding the register value. */
export const VALUE_ATTRIBUTE = 'v';

/** A register value: the `v` string, undefined when the item is absent. */
export type Value = string | undefined;

/**
 * Errors that prove the request was refused before it could take effect: the router validates a
 * request, and resolves its table, before it sends anything to a storage node. Every other failure
 * (5xx, NotLeader, timeouts, reset connections, throttling) may have been applied — or may still be.
 */
const DEFINITE_FAILURES = new Set([
  'ValidationException',
  'SerializationException',
  'ResourceNotFoundException',
  'UnknownOperationException',
  'MissingAuthenticationTokenException',
  'UnrecognizedClientException',
  'AccessDeniedException',
]);

export type Classified =
  /** The condition of a conditional write was false: completed, with result false. */
  | { kind: 'condition-failed'; name: string; oldValue?: Value }
  /** Definitely not applied. */
  | { kind: 'failed'; name: string }
  /** May or may not have been applied. */
  | { kind: 'unknown'; name: string };

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  Item?: Record<string, AttributeValue>;
}

export function classifyError(error: unknown): Classified {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = `${e.name ?? 'Error'}${e.code ? `(${e.code})` : ''}${status ? ` ${status}` : ''}`;
  if (e.name === 'ConditionalCheckFailedException') {
    // The item the condition found: of this key (the SDK gives no request here, so the caller checks nothing more).
    return { kind: 'condition-failed', name, oldValue: e.Item ? valueOf(e.Item) : undefined };
  }
  if (status !== undefined && status >= 400 && status < 500 && e.name !== undefined && DEFINITE_FAILURES.has(e.name)) {
    return { kind: 'failed', name };
  }
  return { kind: 'unknown', name };
}

/**
 * The register value an item holds. An item of any other shape, or of another key than the one
 * asked for, is returned as its JSON text: no write produces that, so the checks flag it rather
 * than mistake it for a value.
 */
export function valueOf(item: Record<string, AttributeValue> | undefined, key?: string): Value {
  if (!item) return undefined;
  const names = Object.keys(item).sort();
  const v = item[VALUE_ATTRIBUTE];
  const shaped = names.length === 2 && names[0] === KEY_ATTRIBUTE && names[1] === VALUE_ATTRIBUTE && v && typeof v.S === 'string';
  if (shaped && (key === undefined || item[KEY_ATTRIBUTE]?.S === key)) return v.S;
  return `<unexpected item ${JSON.stringify(item)}>`;
}

export class DynamoRegister {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  private key(key: string): Record<string, AttributeValue> {
    return { [KEY_ATTRIBUTE]: { S: key } };
  }

  private item(key: string, value: string): Record<string, AttributeValue> {
    return { [KEY_ATTRIBUTE]: { S: key }, [VALUE_ATTRIBUTE]: { S: value } };
  }

  /** A strongly consistent read (served by the partition leader). */
  async read(key: string): Promise<Value> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }));
    return valueOf(Item, key);
  }

  async write(key: string, value: string): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: this.item(key, value) }));
  }

  /**
   * Sets `value` if the register holds `expected` (undefined: the item does not exist). Throws
   * ConditionalCheckFailedException otherwise, with the item it found.
   */
  async cas(key: string, expected: Value, value: string): Promise<void> {
    const condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': KEY_ATTRIBUTE } }
        : {
            ConditionExpression: '#v = :expected',
            ExpressionAttributeNames: { '#v': VALUE_ATTRIBUTE },
            ExpressionAttributeValues: { ':expected': { S: expected } },
          };
    await this.client.send(
      new PutItemCommand({ TableName: this.tableName, Item: this.item(key, value), ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ...condition }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: this.key(key) }));
  }
}
