/** Partition keys that land in a chosen partition, computed as the router does (key codec, then hash). */
import { encodeKeyValue } from '@triad/model';
import { partitionOfKey } from '@triad/ring';

/** Names tried per key wanted: with P partitions about P are needed on average, so this only stops a bad call. */
const CANDIDATES_PER_KEY_MAX = 100_000;

/** The partition of a string partition key. */
export function partitionOfStringKey(key: string, partitionCount: number): number {
  return partitionOfKey(encodeKeyValue('S', { S: key }), partitionCount);
}

/** `count` string partition keys `<prefix>-<n>` that all belong to `partition`, in increasing n. */
export function keysInPartition(prefix: string, partition: number, partitionCount: number, count: number): string[] {
  const keys: string[] = [];
  const limit = CANDIDATES_PER_KEY_MAX * count;
  for (let n = 0; keys.length < count; n++) {
    if (n >= limit) throw new Error(`no ${count} keys with prefix ${prefix} in partition ${partition} of ${partitionCount}`);
    const key = `${prefix}-${n}`;
    if (partitionOfStringKey(key, partitionCount) === partition) keys.push(key);
  }
  return keys;
}
