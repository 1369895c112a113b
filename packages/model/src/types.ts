/** DynamoDB's wire types (JSON 1.0 protocol). Binary values stay base64 strings, as on the wire. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type Item = Record<string, AttributeValue>;

/** Types a key attribute may have. */
export type ScalarAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: ScalarAttributeType;
}

/** A table's (or index's) primary key: partition key and optional sort key. */
export interface KeySchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}
