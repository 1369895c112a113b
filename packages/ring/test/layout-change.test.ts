import {
  ClusterView,
  LayoutChangeError,
  Ring,
  changeProgress,
  completeMove,
  decideMove,
  finishChange,
  layoutTransition,
  nextChangeStep,
  parseClusterLayout,
  planDecommission,
  planJoin,
  type ClusterLayout,
  type PartitionMove,
  type StorageNodeInfo,
} from '../src';

const node = (id: string, zone: string): StorageNodeInfo => ({ id, zone, address: `${id}:7000` });
const base = (nodes: StorageNodeInfo[], partitionCount = 16): ClusterLayout => ({ partitionCount, storageNodes: nodes });
const THREE = [node('a1', 'a'), node('b1', 'b'), node('c1', 'c')];
const ids = (nodes: readonly StorageNodeInfo[]) => nodes.map((n) => n.id);

/** Runs a change to its end the way the CLI does, and returns every layout on the way. */
function runToEnd(layout: ClusterLayout): ClusterLayout[] {
  const steps = [layout];
  for (;;) {
    const current = steps[steps.length - 1];
    const step = nextChangeStep(current);
    if (step.kind === 'idle') return steps;
    steps.push(step.kind === 'move' ? completeMove(current, step.move.partition) : finishChange(current));
  }
}

describe('planJoin', () => {
  const joined = planJoin(base(THREE), node('a2', 'a'));

  it('moves the zone-a replica of some partitions to the new zone-a node, one node per partition', () => {
    const moves = joined.change!.moves;
    expect(moves.length).toBeGreaterThan(2);
    expect(moves.length).toBeLessThan(17);
    for (const move of moves) {
      expect(move.from.filter((id) => !move.to.includes(id))).toEqual(['a1']);
      expect(move.to.filter((id) => !move.from.includes(id))).toEqual(['a2']);
      expect(move.done).toBe(false);
    }
    expect(joined.epoch).toBe(1);
    expect(joined.change).toMatchObject({ kind: 'join', node: node('a2', 'a') });
    expect(ids(joined.storageNodes)).toEqual(['a1', 'b1', 'c1', 'a2']);
  });

  it('keeps the old replica sets until a move is done, with the new node incoming', () => {
    const ring = new Ring(joined);
    const before = new Ring(base(THREE));
    for (let p = 0; p <= ring.systemPartition; p++) {
      expect(new Set(ids(ring.replicaSet(p)))).toEqual(new Set(ids(before.replicaSet(p))));
      const moving = joined.change!.moves.some((m) => m.partition === p);
      expect(ids(ring.incoming(p))).toEqual(moving ? ['a2'] : []);
      expect(ring.receives('a2', p)).toBe(moving);
    }
    expect(ring.node('a2')).toEqual(node('a2', 'a'));
    expect(ring.partitionsOf('a2')).toEqual([]);
  });

  it('ends on the placement of the new node list, one epoch per step', () => {
    const steps = runToEnd(joined);
    const last = steps[steps.length - 1];
    expect(last.change).toBeUndefined();
    expect(last.epoch).toBe(1 + joined.change!.moves.length + 1);
    const final = new Ring(last);
    const target = new Ring(base([...THREE, node('a2', 'a')]));
    for (let p = 0; p <= final.systemPartition; p++) expect(ids(final.replicaSet(p))).toEqual(ids(target.replicaSet(p)));
    // Every intermediate layout is valid and each step switches exactly one partition.
    for (let i = 1; i < steps.length - 1; i++) {
      const [a, b] = [new Ring(steps[i - 1]), new Ring(steps[i])];
      const changed = [...Array(a.systemPartition + 1).keys()].filter((p) => ids(a.replicaSet(p)).join() !== ids(b.replicaSet(p)).join());
      expect(changed.length).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic: a retried step computes the same layout', () => {
    expect(planJoin(base(THREE), node('a2', 'a'))).toEqual(joined);
    const p = joined.change!.moves[0].partition;
    expect(completeMove(joined, p)).toEqual(completeMove(joined, p));
  });

  it('refuses a node already there, an address in use, or a change in progress', () => {
    expect(() => planJoin(base(THREE), node('a1', 'a'))).toThrow(LayoutChangeError);
    expect(() => planJoin(base(THREE), { id: 'x', zone: 'a', address: 'a1:7000' })).toThrow(/already has the address/);
    expect(() => planJoin(joined, node('b2', 'b'))).toThrow(/join of a2 is in progress/);
    expect(() => finishChange(joined)).toThrow(/not done/);
    expect(() => completeMove(base(THREE), 0)).toThrow(/no move in progress/);
  });

  it('reports progress', () => {
    const p = joined.change!.moves[0].partition;
    expect(changeProgress(completeMove(joined, p))).toEqual({ kind: 'join', nodeId: 'a2', movesDone: 1, movesTotal: joined.change!.moves.length });
    expect(changeProgress(base(THREE))).toBeUndefined();
  });
});

describe('planDecommission', () => {
  const four = runToEnd(planJoin(base(THREE), node('a2', 'a'))).pop()!;

  it('moves every partition of the leaving node to the other node of its zone', () => {
    const plan = planDecommission(four, 'a1');
    const held = new Ring(four).partitionsOf('a1');
    expect(plan.change!.moves.map((m) => m.partition)).toEqual(held);
    for (const move of plan.change!.moves) {
      expect(move.from.filter((id) => !move.to.includes(id))).toEqual(['a1']);
      expect(move.to.filter((id) => !move.from.includes(id))).toEqual(['a2']);
    }
    // The leaving node stays known (for its address) until the change is over.
    expect(new Ring(plan).node('a1')).toEqual(node('a1', 'a'));
    const last = runToEnd(plan).pop()!;
    expect(new Ring(last).node('a1')).toBeUndefined();
    expect(new Ring(last).partitionsOf('a2')).toHaveLength(17);
  });

  it('refuses to go below three nodes or to empty a zone', () => {
    expect(() => planDecommission(base(THREE), 'a1')).toThrow(/at least 3/);
    expect(() => planDecommission(base([...THREE, node('a2', 'a')]), 'b1')).toThrow(/zone b would have no storage node/);
    expect(() => planDecommission(four, 'zz')).toThrow(/not in the cluster/);
  });
});

describe('planMoves with fewer zones than replicas', () => {
  it('splits a partition whose set changes in several nodes into one-node steps', () => {
    const oneZone = ['n1', 'n2', 'n3', 'n4'].map((id) => node(id, 'z'));
    const plan = planJoin(base(oneZone, 64), node('n5', 'z'));
    for (const move of plan.change!.moves) {
      expect(move.from.filter((id) => !move.to.includes(id))).toHaveLength(1);
      expect(move.to.filter((id) => !move.from.includes(id))).toHaveLength(1);
    }
    // Chained steps of one partition continue where the previous one ended.
    const byPartition = new Map<number, PartitionMove[]>();
    for (const m of plan.change!.moves) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    for (const chain of byPartition.values()) for (let i = 1; i < chain.length; i++) expect(chain[i].from).toEqual(chain[i - 1].to);
    const last = runToEnd(plan).pop()!;
    const target = new Ring(base([...oneZone, node('n5', 'z')], 64));
    for (let p = 0; p <= 64; p++) expect(ids(new Ring(last).replicaSet(p))).toEqual(ids(target.replicaSet(p)));
  });
});

describe('decideMove', () => {
  const plan = planJoin(base(THREE), node('a2', 'a'));
  const ring = new Ring(plan);
  const move = plan.change!.moves[0];
  const staying = move.from.find((id) => id !== 'a1')!;

  it('moves at the serving leader, hands over when the leader is the leaving node', () => {
    expect(decideMove(ring, move.partition, staying, true)).toEqual({ action: 'move', move, incoming: ['a2'] });
    expect(decideMove(ring, move.partition, staying, false)).toEqual({ action: 'not-leader' });
    expect(decideMove(ring, move.partition, 'a1', true)).toEqual({ action: 'hand-over', candidates: move.from.filter((id) => id !== 'a1') });
    expect(decideMove(ring, move.partition, 'a2', false)).toEqual({ action: 'not-replica' });
    expect(decideMove(new Ring(completeMove(plan, move.partition)), move.partition, staying, true)).toEqual({ action: 'done' });
  });
});

describe('layoutTransition', () => {
  const plan = planJoin(base(THREE), node('a2', 'a'));
  const p = plan.change!.moves[0].partition;
  const after = completeMove(plan, p);

  it('tells the leaving node to drop the partition, the incoming one that it gained it, the others that it changed', () => {
    const [before, next] = [new Ring(plan), new Ring(after)];
    expect(layoutTransition(before, next, 'a1')).toEqual({ dropped: [p], entered: [], gained: [], reshaped: [] });
    expect(layoutTransition(before, next, 'a2')).toEqual({ dropped: [], entered: [], gained: [p], reshaped: [] });
    const staying = plan.change!.moves[0].from.find((id) => id !== 'a1')!;
    expect(layoutTransition(before, next, staying)).toEqual({ dropped: [], entered: [], gained: [], reshaped: [p] });
  });

  it('tells a node that starts receiving partitions it did not keep to clear what it still holds of them', () => {
    const incoming = plan.change!.moves.map((m) => m.partition);
    expect(layoutTransition(new Ring(base(THREE)), new Ring(plan), 'a2').entered).toEqual(incoming);
    expect(layoutTransition(new Ring(base(THREE)), new Ring(plan), 'a1').entered).toEqual([]);
    expect(layoutTransition(new Ring(plan), new Ring(after), 'a2').entered).toEqual([]);
  });

  it('tells a node to drop what it was receiving when a change is abandoned', () => {
    expect(layoutTransition(new Ring(plan), new Ring({ ...base(THREE), epoch: 9 }), 'a2').dropped).toEqual(plan.change!.moves.map((m) => m.partition));
  });
});

describe('ClusterView', () => {
  it('adopts only newer layouts and tells its listeners', () => {
    const view = new ClusterView(base(THREE));
    const seen: number[] = [];
    view.onChange((after, before) => seen.push(before.epoch, after.epoch));
    const plan = planJoin(base(THREE), node('a2', 'a'));
    expect(view.adopt(plan)).toBe(true);
    expect(view.adopt(plan)).toBe(false);
    expect(view.adopt({ ...base(THREE), epoch: 0 })).toBe(false);
    expect(seen).toEqual([0, 1]);
    expect(view.epoch).toBe(1);
    expect(ids(view.incoming(plan.change!.moves[0].partition))).toEqual(['a2']);
    expect(() => view.adopt({ ...base(THREE, 32), epoch: 5 })).toThrow(/partitions/);
  });
});

describe('parseClusterLayout', () => {
  it('accepts a layout with a change and refuses malformed moves', () => {
    const plan = planJoin(base(THREE), node('a2', 'a'));
    expect(parseClusterLayout(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    const bad = JSON.parse(JSON.stringify(plan));
    bad.change.moves[0].from = 'a1';
    expect(() => parseClusterLayout(bad)).toThrow(/bad partition move/);
    expect(() => parseClusterLayout({ ...base(THREE), epoch: -1 })).toThrow(/epoch/);
  });
});
