import { MerkleRecord, RecordState, compareKeys, compareVersions } from './version';

/** What each side of a differing bucket must send the other. */
export interface BucketRepair {
  /** Records the remote lacks or holds an older version of: send them (with their items) to it. */
  readonly toRemote: MerkleRecord[];
  /** Records the local side lacks or holds an older version of: fetch them from the remote. */
  readonly toLocal: MerkleRecord[];
}

/**
 * Which of two record states wins: the higher version. Versions are unique per change within a
 * partition, so equal versions are the same change; should two equal versions still disagree on
 * the tombstone (a bug or a corrupted replica), the tombstone wins on both sides so that the
 * replicas converge instead of repairing the same bucket forever.
 */
export function compareRecordStates(a: RecordState, b: RecordState): number {
  const byVersion = compareVersions(a.version, b.version);
  if (byVersion !== 0) return byVersion;
  return (a.tombstone ? 1 : 0) - (b.tombstone ? 1 : 0);
}

function sortedByKey(records: readonly MerkleRecord[], side: string): MerkleRecord[] {
  const sorted = [...records].sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < sorted.length; i++) {
    if (compareKeys(sorted[i - 1].key, sorted[i].key) === 0) {
      throw new Error(`${side} lists a key twice in one bucket; a replica holds one version per key`);
    }
  }
  return sorted;
}

/**
 * Given both sides' records of one differing bucket (latest version per key, tombstones
 * included; any order), lists what each must send the other so that both end with the newer
 * version of every key. Both outputs are in key order. After applying them (keeping the higher
 * version, as every replica write does) the two buckets hold the same records and digests.
 */
export function reconcileBucket(local: readonly MerkleRecord[], remote: readonly MerkleRecord[]): BucketRepair {
  const a = sortedByKey(local, 'local');
  const b = sortedByKey(remote, 'remote');
  const toRemote: MerkleRecord[] = [];
  const toLocal: MerkleRecord[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const byKey = i === a.length ? 1 : j === b.length ? -1 : compareKeys(a[i].key, b[j].key);
    if (byKey < 0) {
      toRemote.push(a[i++]);
    } else if (byKey > 0) {
      toLocal.push(b[j++]);
    } else {
      const winner = compareRecordStates(a[i], b[j]);
      if (winner > 0) toRemote.push(a[i]);
      else if (winner < 0) toLocal.push(b[j]);
      i++;
      j++;
    }
  }
  return { toRemote, toLocal };
}
