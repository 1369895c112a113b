/**
 * One DynamoDB item used as a register, through the AWS SDK and a router: the register's value is
 * the item's `v` string attribute, absent when the item is. Every call is one attempt (the client
 * has `maxAttempts: 1`), and its outcome is classified the way the linearizability checker needs it.
 *
 * Registers live in a table keyed by `pk` alone, or in a table keyed by `pk` and `sk` (the range
 * table), where the items of one `pk` form a group that a strongly consistent Query reads at
 * once, and a strongly consistent Scan reads the whole table. A range register's key is
 * `pk#sk` (rangeRegisterKey).
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type PutItemCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The table's partition key attribute. */
export const KEY_ATTRIBUTE = 'pk';
/** The range table's sort key attribute. */
export const SORT_ATTRIBUTE = 'sk';
/** The attribute holding the register value. */
export const VALUE_ATTRIBUTE = 'v';
/** Between the partition key and the sort key in a range register's key. */
export const RANGE_KEY_SEPARATOR = '#';

/** The key of the register that is item (pk, sk) of the range table. */
export function rangeRegisterKey(pk: string, sk: string): string {
  return `${pk}${RANGE_KEY_SEPARATOR}${sk}`;
}

/** The item key of a register: `pk#sk` for a range register, `pk` otherwise. */
export function splitRegisterKey(key: string): { pk: string; sk?: string } {
  const at = key.lastIndexOf(RANGE_KEY_SEPARATOR);
  return at < 0 ? { pk: key } : { pk: key.slice(0, at), sk: key.slice(at + 1) };
}

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
  const wanted = key === undefined ? undefined : splitRegisterKey(key);
  const ranged = SORT_ATTRIBUTE in item;
  const expectedNames = ranged ? [KEY_ATTRIBUTE, SORT_ATTRIBUTE, VALUE_ATTRIBUTE] : [KEY_ATTRIBUTE, VALUE_ATTRIBUTE];
  const shaped = names.join() === expectedNames.join() && v && typeof v.S === 'string';
  const sameKey = wanted === undefined || (item[KEY_ATTRIBUTE]?.S === wanted.pk && (ranged ? item[SORT_ATTRIBUTE]?.S === wanted.sk : wanted.sk === undefined));
  if (shaped && sameKey) return v.S;
  return `<unexpected item ${JSON.stringify(item)}>`;
}

/** The register key of a range table item (`pk#sk`), or undefined for an item without both keys. */
function rangeKeyOf(item: Record<string, AttributeValue>): string | undefined {
  const pk = item[KEY_ATTRIBUTE]?.S;
  const sk = item[SORT_ATTRIBUTE]?.S;
  return pk === undefined || sk === undefined ? undefined : rangeRegisterKey(pk, sk);
}

/** What one paged strong read of the range table returned. */
export interface RangeReadResult {
  /** Every register read, by key (items of any other shape hold their JSON text, as valueOf does). */
  values: Map<string, Value>;
  /**
   * Partition keys whose items may come from more than one storage read: a page ended inside
   * their items, so the next page read the rest later. Their registers were not read at one instant.
   */
  splitGroups: Set<string>;
  pages: number;
}

/** A paged read that has not ended after this many pages is looping (a LastEvaluatedKey that does not advance). */
const RANGE_READ_PAGES_MAX = 1_000;

export class DynamoRegister {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    /** The table has the range table's key (pk, sk), and register keys are `pk#sk`. */
    readonly ranged = false,
  ) {}

  private key(key: string): Record<string, AttributeValue> {
    if (!this.ranged) return { [KEY_ATTRIBUTE]: { S: key } };
    const { pk, sk } = splitRegisterKey(key);
    if (sk === undefined) throw new Error(`register key ${key} of the range table has no sort key`);
    return { [KEY_ATTRIBUTE]: { S: pk }, [SORT_ATTRIBUTE]: { S: sk } };
  }

  private item(key: string, value: string): Record<string, AttributeValue> {
    return { ...this.key(key), [VALUE_ATTRIBUTE]: { S: value } };
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

  /** Range table: a strongly consistent Query of every item of `pk` (paged; one page unless the group is over 1 MB). */
  async query(pk: string): Promise<RangeReadResult> {
    return this.pages((start) =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': KEY_ATTRIBUTE },
          ExpressionAttributeValues: { ':k': { S: pk } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      ),
    );
  }

  /** Range table: a strongly consistent Scan of the whole table (paged). */
  async scan(): Promise<RangeReadResult> {
    return this.pages((start) => this.client.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: start })));
  }

  private async pages(
    page: (start: Record<string, AttributeValue> | undefined) => Promise<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }>,
  ): Promise<RangeReadResult> {
    if (!this.ranged) throw new Error(`${this.tableName} is not the range table`);
    const values = new Map<string, Value>();
    const splitGroups = new Set<string>();
    let start: Record<string, AttributeValue> | undefined;
    for (let pages = 1; pages <= RANGE_READ_PAGES_MAX; pages++) {
      const result = await page(start);
      for (const item of result.Items ?? []) {
        const key = rangeKeyOf(item);
        if (key !== undefined) values.set(key, valueOf(item, key));
      }
      start = result.LastEvaluatedKey;
      if (!start) return { values, splitGroups, pages };
      // The next page goes on inside this partition key's items, read by another request later.
      const pk = start[KEY_ATTRIBUTE]?.S;
      if (pk !== undefined) splitGroups.add(pk);
    }
    throw new Error(`paged read of ${this.tableName} did not end after ${RANGE_READ_PAGES_MAX} pages`);
  }
}
