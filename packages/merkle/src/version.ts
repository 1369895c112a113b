import { VERSION_COMPONENT_MAX } from './limits';

/**
 * The version of a committed change: the leader's term, then a sequence number within the
 * partition. Versions order all changes of one partition; replicas, hints and repairs keep the
 * higher one.
 */
export interface Version {
  readonly term: number;
  readonly seq: number;
}

/** What a replica holds for one key: the latest version it has, and whether that is a delete. */
export interface RecordState {
  readonly version: Version;
  /** A delete is a record too, kept as a tombstone until every replica has it. */
  readonly tombstone: boolean;
}

/** One record as the trees and the repair exchange see it: the item's bytes are not needed. */
export interface MerkleRecord extends RecordState {
  /** The record's storage key (table id, partition key, sort key), as the storage node encodes it. */
  readonly key: Uint8Array;
}

/** Negative if a < b, zero if equal, positive if a > b: by term, then by sequence. */
export function compareVersions(a: Version, b: Version): number {
  if (a.term !== b.term) return a.term < b.term ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Asserts a version is well-formed: a programmer error otherwise, not an operating condition. */
export function assertVersion(v: Version): void {
  if (!isVersionComponent(v.term) || !isVersionComponent(v.seq)) {
    throw new Error(`version components must be non-negative safe integers, got (${v.term}, ${v.seq})`);
  }
}

function isVersionComponent(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= VERSION_COMPONENT_MAX;
}

/** Orders keys bytewise, the order of RocksDB's default comparator. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
