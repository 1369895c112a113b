import { Ring, partitionOfKey, hash32 } from '../src';

const layout = (zones: string[][]) => ({
  partitionCount: 64,
  storageNodes: zones.flatMap((ids, z) => ids.map((id) => ({ id, zone: `zone-${z}`, address: `${id}:1` }))),
});

describe('Ring', () => {
  it('places every partition on three nodes in three distinct zones', () => {
    const ring = new Ring(layout([['a1', 'a2'], ['b1', 'b2'], ['c1', 'c2']]));
    for (let p = 0; p <= ring.systemPartition; p++) {
      const set = ring.replicaSet(p);
      expect(set).toHaveLength(3);
      expect(new Set(set.map((n) => n.zone)).size).toBe(3);
    }
  });

  it('spreads preferred leaders over all nodes', () => {
    const ring = new Ring(layout([['a1', 'a2'], ['b1', 'b2'], ['c1', 'c2']]));
    const firsts = new Map<string, number>();
    for (let p = 0; p < ring.partitionCount; p++) {
      const id = ring.replicaSet(p)[0].id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    expect(firsts.size).toBe(6);
    // 64 partitions over 6 nodes: every node is preferred leader of 10 or 11.
    for (const count of firsts.values()) expect(count).toBeGreaterThanOrEqual(10);
    for (const count of firsts.values()) expect(count).toBeLessThanOrEqual(11);
  });

  it('is the same for the same layout, whatever the node order', () => {
    const a = new Ring(layout([['a1'], ['b1'], ['c1']]));
    const shuffled = layout([['a1'], ['b1'], ['c1']]);
    shuffled.storageNodes.reverse();
    const b = new Ring(shuffled);
    for (let p = 0; p <= a.systemPartition; p++) {
      expect(b.replicaSet(p).map((n) => n.id)).toEqual(a.replicaSet(p).map((n) => n.id));
    }
  });

  it('still gives three replicas when there are fewer zones', () => {
    const ring = new Ring(layout([['a1', 'a2', 'a3']]));
    expect(ring.replicaSet(0)).toHaveLength(3);
  });

  it('rejects a partition count that is not a power of two', () => {
    expect(() => new Ring({ partitionCount: 12, storageNodes: [{ id: 'a', zone: 'z', address: 'x' }] })).toThrow(/power of two/);
  });
});

describe('partitionOfKey', () => {
  it('maps keys into range and spreads them', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOfKey(Buffer.from(`user${i}`), 16)]++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
    expect(partitionOfKey(Buffer.from('x'), 1)).toBe(0);
  });

  it('is stable', () => {
    expect(hash32(Buffer.from('abc'))).toBe(hash32(Buffer.from('abc')));
  });
});
