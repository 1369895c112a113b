/** DynamoDB bills reads in 4 KB units (half for eventually consistent reads) and writes in 1 KB units. */
export const READ_UNIT_BYTES = 4 * 1024;
export const WRITE_UNIT_BYTES = 1024;

export function readUnits(sizeBytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(sizeBytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

export function writeUnits(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / WRITE_UNIT_BYTES));
}

/** The ConsumedCapacity member of a response, or undefined when not asked for. */
export function consumedCapacity(mode: unknown, tableName: string, units: number): Record<string, unknown> | undefined {
  if (mode === 'TOTAL') return { TableName: tableName, CapacityUnits: units };
  if (mode === 'INDEXES') return { TableName: tableName, CapacityUnits: units, Table: { CapacityUnits: units } };
  return undefined;
}
