import {
  MerkleDiff,
  MerkleRecord,
  MerkleTree,
  bucketOf,
  compareRecordStates,
  diffTrees,
  diffTreesAsync,
  differingChildren,
  reconcileBucket,
} from '../src';
import { Prng, prng } from './prng';

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** One replica: the naive twin (a plain map of key → latest record) plus the tree under test. */
class Replica {
  readonly records = new Map<string, MerkleRecord>();
  /** Bucket of every key seen, computed once: the twin's own bookkeeping, not the code under test. */
  private readonly buckets = new Map<string, number>();
  readonly tree: MerkleTree;
  constructor(readonly depth: number) {
    this.tree = new MerkleTree(depth);
  }

  /** Applies a record the way every replica write does: the higher version wins. */
  apply(r: MerkleRecord): void {
    const current = this.records.get(hex(r.key));
    if (current !== undefined && compareRecordStates(current, r) >= 0) return;
    this.tree.update(r.key, current, r);
    this.records.set(hex(r.key), r);
    if (current === undefined) this.buckets.set(hex(r.key), bucketOf(r.key, this.depth));
  }

  bucket(key: string): number {
    const b = this.buckets.get(key);
    if (b === undefined) throw new Error('unknown key');
    return b;
  }

  /** Tombstone garbage collection: drops the tombstone from data and tree alike. */
  purge(key: string): void {
    const current = this.records.get(key);
    if (current === undefined || !current.tombstone) return;
    this.tree.update(current.key, current, undefined);
    this.records.delete(key);
  }

  /** The records of each bucket, as the storage node's 'm' index would list them. */
  byBucket(): Map<number, MerkleRecord[]> {
    const out = new Map<number, MerkleRecord[]>();
    for (const [k, r] of this.records) {
      const bucket = this.bucket(k);
      const list = out.get(bucket);
      if (list === undefined) out.set(bucket, [r]);
      else list.push(r);
    }
    return out;
  }
}

/** The naive answer: buckets whose record sets differ, by a full compare of both maps. */
function naiveDifferingBuckets(a: Replica, b: Replica): number[] {
  const out = new Set<number>();
  for (const [k, r] of a.records) {
    const other = b.records.get(k);
    if (other === undefined || compareRecordStates(r, other) !== 0) out.add(a.bucket(k));
  }
  for (const k of b.records.keys()) {
    if (!a.records.has(k)) out.add(b.bucket(k));
  }
  return [...out].sort((x, y) => x - y);
}

function sameRecords(a: Replica, b: Replica): boolean {
  if (a.records.size !== b.records.size) return false;
  for (const [k, r] of a.records) {
    const other = b.records.get(k);
    if (other === undefined || compareRecordStates(r, other) !== 0) return false;
  }
  return true;
}

/** Random writes to three replicas, each write reaching a random subset, some delivered late. */
function divergentReplicas(rng: Prng, depth: number, writes: number): Replica[] {
  const replicas = [new Replica(depth), new Replica(depth), new Replica(depth)];
  const keyCount = 1 + rng.int(rng.chance(0.5) ? 40 : 400);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < keyCount; i++) keys.push(rng.chance(0.3) ? utf8(`user#${i}`) : rng.bytes(1 + rng.int(24)));
  let term = 1;
  let seq = 0;
  const late: Array<{ replica: Replica; record: MerkleRecord }> = [];
  for (let w = 0; w < writes; w++) {
    if (rng.chance(0.02)) term++;
    seq++;
    const record: MerkleRecord = { key: rng.pick(keys), version: { term, seq }, tombstone: rng.chance(0.2) };
    for (const replica of replicas) {
      const fate = rng.int(10);
      if (fate < 6) replica.apply(record);
      else if (fate < 8) late.push({ replica, record }); // delivered out of order, later
      // else: lost (a dropped hint)
    }
    if (rng.chance(0.05)) {
      const replica = rng.pick(replicas);
      replica.purge(hex(rng.pick(keys)));
    }
    if (late.length > 0 && rng.chance(0.3)) {
      const { replica, record: r } = late.splice(rng.int(late.length), 1)[0];
      replica.apply(r);
    }
  }
  // Some late deliveries never arrive.
  for (const { replica, record } of late) if (rng.chance(0.5)) replica.apply(record);
  return replicas;
}

/** Diffs a against b, checks the result against the naive twin, and repairs both. */
function repairPair(rng: Prng, a: Replica, b: Replica): void {
  const expected = naiveDifferingBuckets(a, b);
  const init = { levelsPerRound: 1 + rng.int(4), nodesPerRequestMax: rng.pick([1, 3, 1024]) };
  const buckets = diffTrees(a.tree, b.tree, init);
  expect(buckets).toEqual(expected);
  // Symmetric.
  expect(diffTrees(b.tree, a.tree, init)).toEqual(expected);
  const aBuckets = a.byBucket();
  const bBuckets = b.byBucket();
  for (const bucket of buckets) {
    const { toRemote, toLocal } = reconcileBucket(aBuckets.get(bucket) ?? [], bBuckets.get(bucket) ?? []);
    expect(toRemote.length + toLocal.length).toBeGreaterThan(0);
    for (const r of toRemote) b.apply(r);
    for (const r of toLocal) a.apply(r);
    expect(a.tree.leaf(bucket)).toBe(b.tree.leaf(bucket));
  }
  expect(sameRecords(a, b)).toBe(true);
  expect(a.tree.root()).toBe(b.tree.root());
}

describe('anti-entropy against a naive twin', () => {
  it('finds exactly the differing buckets, repairs them, and converges three replicas', () => {
    let diverged = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = prng(seed);
      const depth = rng.pick([0, 1, 2, 4, 7, 10]);
      const [a, b, c] = divergentReplicas(rng, depth, 50 + rng.int(300));
      if (naiveDifferingBuckets(a, b).length > 0) diverged++;
      // Every replica's incrementally updated tree equals a rebuild from its records.
      for (const r of [a, b, c]) expect(r.tree.root()).toBe(MerkleTree.fromRecords(r.records.values(), depth).root());
      repairPair(rng, a, b);
      repairPair(rng, b, c);
      repairPair(rng, a, c);
      expect(sameRecords(a, b) && sameRecords(b, c)).toBe(true);
      expect(new Set([a.tree.root(), b.tree.root(), c.tree.root()]).size).toBe(1);
      expect(diffTrees(a.tree, c.tree)).toEqual([]);
      expect(diffTrees(b.tree, c.tree)).toEqual([]);
    }
    expect(diverged).toBeGreaterThan(160);
  });

  it('finds nothing between identical trees, in one round trip', () => {
    const rng = prng(7);
    const [a] = divergentReplicas(rng, 10, 200);
    const walk = new MerkleDiff(a.tree);
    const req = walk.nextRequest();
    expect(req).toEqual({ level: 0, indices: [0] });
    walk.onResponse(a.tree.clone().nodeDigests(0, [0]));
    expect(walk.nextRequest()).toBeUndefined();
    expect(walk.done).toBe(true);
    expect(walk.differingBuckets()).toEqual([]);
  });

  it('descends levelsPerRound levels per request and splits big requests', () => {
    const a = new MerkleTree(10);
    const b = new MerkleTree(10);
    const key = utf8('only-on-a');
    a.add({ key, version: { term: 1, seq: 1 }, tombstone: false });
    const walk = new MerkleDiff(a, { levelsPerRound: 3, nodesPerRequestMax: 4 });
    const requests: Array<{ level: number; count: number }> = [];
    for (let req = walk.nextRequest(); req !== undefined; req = walk.nextRequest()) {
      requests.push({ level: req.level, count: req.indices.length });
      walk.onResponse(b.nodeDigests(req.level, req.indices));
    }
    // Root, then 8 nodes at level 3 (two requests of 4), 6, 9, then 2 leaves at 10.
    expect(requests).toEqual([
      { level: 0, count: 1 },
      { level: 3, count: 4 },
      { level: 3, count: 4 },
      { level: 6, count: 4 },
      { level: 6, count: 4 },
      { level: 9, count: 4 },
      { level: 9, count: 4 },
      { level: 10, count: 2 },
    ]);
    expect(walk.differingBuckets()).toEqual([bucketOf(key)]);
  });

  it('runs over an asynchronous transport', async () => {
    const rng = prng(11);
    const [a, b] = divergentReplicas(rng, 8, 300);
    let roundTrips = 0;
    const buckets = await diffTreesAsync(a.tree, async (req) => {
      roundTrips++;
      return b.tree.nodeDigests(req.level, req.indices);
    });
    expect(buckets).toEqual(naiveDifferingBuckets(a, b));
    expect(roundTrips).toBeGreaterThan(1);
  });

  it('guards the step protocol', () => {
    const tree = new MerkleTree(2);
    const walk = new MerkleDiff(tree);
    expect(() => walk.onResponse([])).toThrow(/no request/);
    walk.nextRequest();
    expect(() => walk.nextRequest()).toThrow(/previous request/);
    expect(() => walk.onResponse(['a', 'b'])).toThrow(/asked for 1/);
    expect(() => walk.differingBuckets()).toThrow(/not over/);
    expect(() => new MerkleDiff(tree, { levelsPerRound: 0 })).toThrow(/levelsPerRound/);
  });

  it('differingChildren() compares one node top-down', () => {
    const a = MerkleTree.fromRecords([{ key: utf8('x'), version: { term: 1, seq: 1 }, tombstone: false }], 3);
    const b = new MerkleTree(3);
    const bucket = bucketOf(utf8('x'), 3);
    const top = bucket >>> 2;
    expect(differingChildren(a, 0, 0, b.childrenDigests(0, 0))).toEqual([top]);
    expect(differingChildren(a, 2, bucket >>> 1, b.childrenDigests(2, bucket >>> 1))).toEqual([bucket]);
    expect(differingChildren(a, 0, 0, a.childrenDigests(0, 0))).toEqual([]);
  });
});

describe('reconcileBucket', () => {
  const r = (key: string, term: number, seq: number, tombstone = false): MerkleRecord => ({ key: utf8(key), version: { term, seq }, tombstone });
  const keys = (rs: MerkleRecord[]) => rs.map((x) => `${Buffer.from(x.key).toString()}@${x.version.term}.${x.version.seq}${x.tombstone ? 'x' : ''}`);

  it('sends each side the newer versions and the records it lacks', () => {
    const { toRemote, toLocal } = reconcileBucket(
      [r('b', 1, 5), r('a', 1, 1), r('c', 2, 1, true), r('e', 1, 9)],
      [r('a', 1, 2), r('b', 1, 4), r('d', 1, 3), r('e', 1, 9)],
    );
    expect(keys(toRemote)).toEqual(['b@1.5', 'c@2.1x']);
    expect(keys(toLocal)).toEqual(['a@1.2', 'd@1.3']);
  });

  it('orders by term before sequence, and lets a tombstone win a tie', () => {
    const { toRemote, toLocal } = reconcileBucket([r('a', 2, 1), r('b', 3, 3)], [r('a', 1, 99), r('b', 3, 3, true)]);
    expect(keys(toRemote)).toEqual(['a@2.1']);
    expect(keys(toLocal)).toEqual(['b@3.3x']);
  });

  it('rejects a side listing a key twice', () => {
    expect(() => reconcileBucket([r('a', 1, 1), r('a', 1, 2)], [])).toThrow(/twice/);
  });
});
