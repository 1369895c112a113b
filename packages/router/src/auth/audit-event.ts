/**
 * One audit line per request, shaped like a CloudTrail data event for DynamoDB: who (access key),
 * from where, what (operation and tables), when, and how it ended. Never item values: keys,
 * attribute values, expressions' values and error messages (which may quote values) stay out.
 */
export interface AuditEvent {
  eventVersion: '1.0';
  /** ISO 8601, when the request arrived. */
  eventTime: string;
  eventSource: 'dynamodb';
  /** The operation (PutItem, ...), or the X-Amz-Target as sent when it names none. */
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  userIdentity: { accessKeyId: string; name: string; admin: boolean; authenticated: boolean };
  /** The tables the request names (one for most operations; batches and transactions may name several). */
  tables: string[];
  /** 'success', or 'failure' with DynamoDB's error type. */
  outcome: 'success' | 'failure';
  errorCode?: string;
  requestID: string;
  /** The router that served it. */
  routerId: string;
  durationMs: number;
}

/** Which tables' requests are written: all but `skip`, or only `only` when given. Requests that name no table are always written. */
export interface AuditTableFilter {
  only?: Set<string>;
  skip: Set<string>;
}

export function parseAuditTableFilter(only: string | undefined, skip: string | undefined): AuditTableFilter {
  const names = (text: string | undefined) => new Set((text ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '' && t !== '*'));
  const onlySet = names(only);
  return { only: onlySet.size > 0 ? onlySet : undefined, skip: names(skip) };
}

/** Whether a request on these tables is audited (any one audited table is enough: a batch touching it is written). */
export function isAudited(filter: AuditTableFilter, tables: string[]): boolean {
  if (tables.length === 0) return true;
  return tables.some((t) => !filter.skip.has(t) && (filter.only === undefined || filter.only.has(t)));
}

/** The table names a DynamoDB request names, from its parsed body (without reading any item). */
export function tablesOf(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const b = body as Record<string, unknown>;
  const tables = new Set<string>();
  const add = (name: unknown) => {
    if (typeof name === 'string') tables.add(name);
  };
  add(b.TableName);
  // ResourceArn (tags): arn:aws:dynamodb:region:account:table/NAME
  if (typeof b.ResourceArn === 'string') add(/:table\/([^/]+)/.exec(b.ResourceArn)?.[1]);
  if (b.RequestItems && typeof b.RequestItems === 'object') for (const name of Object.keys(b.RequestItems)) add(name);
  if (Array.isArray(b.TransactItems)) {
    for (const action of b.TransactItems) {
      if (action && typeof action === 'object') {
        for (const inner of Object.values(action as Record<string, unknown>)) {
          if (inner && typeof inner === 'object') add((inner as Record<string, unknown>).TableName);
        }
      }
    }
  }
  return [...tables].sort();
}
