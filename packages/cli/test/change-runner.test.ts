import { Ring, completeMove, decideMove, layoutEpoch, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';
import type { MovePartitionReply, MoveProgress } from '@triad/rpc';
import { runChange, type ChangeCluster, type ChangeListener } from '../src/change-runner';
import { ChangeProgressDisplay, changeFraction, formatBar, formatProgressLine } from '../src/change-progress';
import { formatLayout } from '../src/format-status';

const node = (id: string, zone: string): StorageNodeInfo => ({ id, zone, address: `${id}:7000` });
const A2 = node('a2', 'a');
const BASE: ClusterLayout = { partitionCount: 8, storageNodes: [node('a1', 'a'), node('b1', 'b'), node('c1', 'c')] };

/**
 * Storage nodes in memory, each with its own layout, as the real ones behave for the runner: a
 * node acts on its own layout, the leader of a partition is its first replica unless moved, a
 * completed move is pushed to every node. (A CLI that dies is a listener that throws.)
 */
class FakeCluster implements ChangeCluster {
  readonly layouts = new Map<string, ClusterLayout>();
  readonly down = new Set<string>();
  readonly leaders = new Map<number, string>();
  readonly completed: number[] = [];

  constructor(nodes: StorageNodeInfo[], layout: ClusterLayout) {
    for (const n of nodes) this.layouts.set(n.id, layout);
  }

  /** The partition's leader: as set by a hand-over, else its first replica that is up (a failover). */
  private leaderOf(layout: ClusterLayout, partition: number): string {
    const set = new Ring(layout).replicaSet(partition).map((n) => n.id);
    const chosen = this.leaders.get(partition);
    return chosen && !this.down.has(chosen) ? chosen : set.find((id) => !this.down.has(id))!;
  }

  async newestLayout(seed: ClusterLayout): Promise<ClusterLayout> {
    let newest = seed;
    for (const [id, layout] of this.layouts) if (!this.down.has(id) && layoutEpoch(layout) > layoutEpoch(newest)) newest = layout;
    return newest;
  }

  async pushLayout(layout: ClusterLayout, nodes: readonly StorageNodeInfo[]): Promise<string[]> {
    const took: string[] = [];
    for (const n of nodes) {
      if (this.down.has(n.id) || !this.layouts.has(n.id)) continue;
      if (layoutEpoch(layout) > layoutEpoch(this.layouts.get(n.id)!)) this.layouts.set(n.id, layout);
      took.push(n.id);
    }
    return took;
  }

  async reachable(n: StorageNodeInfo): Promise<boolean> {
    return this.layouts.has(n.id) && !this.down.has(n.id);
  }

  async movePartition(n: StorageNodeInfo, partition: number, minEpoch: number): Promise<MovePartitionReply> {
    if (this.down.has(n.id)) throw Object.assign(new Error('UNAVAILABLE: connect ECONNREFUSED'), { code: 14 });
    const layout = this.layouts.get(n.id)!;
    const reply = (status: MovePartitionReply['status'], leaderHint = ''): MovePartitionReply => ({ status, leaderHint, epoch: layoutEpoch(this.layouts.get(n.id)!), recordsStreamed: 0, detail: '' });
    if (layoutEpoch(layout) < minEpoch) return reply('MOVE_STATUS_RETRY');
    const leader = this.leaderOf(layout, partition);
    const decision = decideMove(new Ring(layout), partition, n.id, leader === n.id);
    switch (decision.action) {
      case 'done':
        return reply('MOVE_STATUS_DONE');
      case 'not-replica':
        return reply('MOVE_STATUS_NOT_LEADER');
      case 'not-leader':
        return reply('MOVE_STATUS_NOT_LEADER', leader);
      case 'hand-over':
        this.leaders.set(partition, decision.candidates[0]);
        return reply('MOVE_STATUS_RETRY', decision.candidates[0]);
      case 'move': {
        const next = completeMove(layout, partition);
        this.completed.push(partition);
        await this.pushLayout(next, new Ring(next).nodes);
        return { ...reply('MOVE_STATUS_DONE'), recordsStreamed: 100 };
      }
    }
  }

  async moveProgress(): Promise<MoveProgress[]> {
    return [];
  }

  async sleep(): Promise<void> {}

  nowMs(): number {
    return 0;
  }
}

/** Records what the runner reports; `crashAfterMoves`: throws (the CLI dies) once that many partitions moved. */
function recorder(crashAfterMoves = Infinity): ChangeListener & { events: string[] } {
  const events: string[] = [];
  let moved = 0;
  return {
    events,
    started: (i) => {
      events.push(`started ${i.kind} ${i.nodeId} resumed=${i.resumed} ${i.movesDone}/${i.movesTotal}`);
      if (crashAfterMoves === 0) throw new Error('CLI crashed');
    },
    moving: () => undefined,
    moved: (i) => {
      events.push(`moved ${i.move.partition}`);
      if (++moved >= crashAfterMoves) throw new Error('CLI crashed');
    },
    note: (m) => events.push(`note ${m}`),
    finished: (i) => events.push(`finished ${i.kind} ${i.nodeId} epoch=${i.epoch} alreadyDone=${i.alreadyDone}`),
  };
}

describe('runChange', () => {
  it('joins a node: every move once, then the change ends, and every node has the last layout', async () => {
    const cluster = new FakeCluster([...BASE.storageNodes, A2], BASE);
    const listener = recorder();
    const final = await runChange(cluster, BASE, { kind: 'join', node: A2 }, listener);
    expect(final.change).toBeUndefined();
    const moves = cluster.completed.length;
    expect(moves).toBeGreaterThan(0);
    expect(new Set(cluster.completed).size).toBe(moves);
    expect(final.epoch).toBe(1 + moves + 1);
    for (const layout of cluster.layouts.values()) expect(layout).toEqual(final);
    expect(listener.events[0]).toBe(`started join a2 resumed=false 0/${moves}`);
    expect(listener.events[listener.events.length - 1]).toBe(`finished join a2 epoch=${final.epoch} alreadyDone=false`);
    expect(new Ring(final).partitionsOf('a2').length).toBe(moves);
  });

  it('does not call a change done before a node took its final layout (every node down at the end: it waits for them)', async () => {
    const cluster = new FakeCluster([...BASE.storageNodes, A2], BASE);
    const listener = recorder();
    let movesLeft = Infinity;
    listener.started = (i) => (movesLeft = i.movesTotal - i.movesDone);
    // The last move done, every node loses power; they are back after the runner's first pause.
    listener.moved = () => {
      if (--movesLeft === 0) for (const n of cluster.layouts.keys()) cluster.down.add(n);
    };
    listener.note = (message) => listener.events.push(`note ${message}`);
    cluster.sleep = async () => cluster.down.clear();
    const final = await runChange(cluster, BASE, { kind: 'join', node: A2 }, listener);
    expect(final.change).toBeUndefined();
    expect(listener.events.some((e) => e.startsWith('note no storage node took the final layout'))).toBe(true);
    for (const layout of cluster.layouts.values()) expect(layout).toEqual(final);
  });

  it('resumes after the CLI died in the middle, without moving anything twice', async () => {
    const cluster = new FakeCluster([...BASE.storageNodes, A2], BASE);
    await expect(runChange(cluster, BASE, { kind: 'join', node: A2 }, recorder(2))).rejects.toThrow('CLI crashed');
    expect(cluster.completed).toHaveLength(2);
    const listener = recorder();
    // The operator runs the same command with the original layout file: the cluster knows better.
    const final = await runChange(cluster, BASE, { kind: 'join', node: A2 }, listener);
    expect(listener.events[0]).toMatch(/^started join a2 resumed=true 2\//);
    expect(new Set(cluster.completed).size).toBe(cluster.completed.length);
    expect(final.change).toBeUndefined();
    // Once more: nothing to do.
    const again = recorder();
    await runChange(cluster, BASE, { kind: 'join', node: A2 }, again);
    expect(again.events).toEqual([`finished join a2 epoch=${final.epoch} alreadyDone=true`]);
  });

  it('decommissions a node that leads partitions (leadership moves first) and one that is down', async () => {
    const joined = await runChange(new FakeCluster([...BASE.storageNodes, A2], BASE), BASE, { kind: 'join', node: A2 }, recorder());
    const cluster = new FakeCluster([...BASE.storageNodes, A2], joined);
    // a1 leads every partition it holds: each move hands leadership over first.
    for (const p of new Ring(joined).partitionsOf('a1')) cluster.leaders.set(p, 'a1');
    const final = await runChange(cluster, joined, { kind: 'decommission', nodeId: 'a1' }, recorder());
    expect(new Ring(final).node('a1')).toBeUndefined();
    expect(new Ring(final).partitionsOf('a2')).toHaveLength(9);

    const other = new FakeCluster([...BASE.storageNodes, A2], joined);
    other.down.add('a1');
    const listener = recorder();
    const result = await runChange(other, joined, { kind: 'decommission', nodeId: 'a1' }, listener);
    expect(new Ring(result).partitionsOf('a1')).toEqual([]);
    expect(listener.events.some((e) => e.startsWith('note partition') && e.includes('a1 did not answer'))).toBe(true);
  });

  it('refuses another change while one is in progress, and a joining node that does not answer', async () => {
    const cluster = new FakeCluster([...BASE.storageNodes, A2], BASE);
    await expect(runChange(cluster, BASE, { kind: 'join', node: A2 }, recorder(1))).rejects.toThrow('CLI crashed');
    await expect(runChange(cluster, BASE, { kind: 'decommission', nodeId: 'b1' }, recorder())).rejects.toThrow(/join of a2 is in progress/);

    const lonely = new FakeCluster(BASE.storageNodes, BASE);
    await expect(runChange(lonely, BASE, { kind: 'join', node: A2 }, recorder())).rejects.toThrow(/a2 does not answer/);
    for (const layout of lonely.layouts.values()) expect(layout).toBe(BASE);
  });
});

describe('progress display', () => {
  const state = {
    kind: 'join' as const,
    nodeId: 'a2',
    movesDone: 2,
    movesTotal: 4,
    current: { partition: 5, leader: 'b1', incoming: ['a2'], phase: 'streaming', recordsScanned: 500, recordsTotal: 1000 },
    recordsStreamed: 12_500,
    elapsedMs: 5_000,
  };

  it('counts whole partitions plus the streamed share of the current one', () => {
    expect(changeFraction(state)).toBeCloseTo(2.5 / 4);
    expect(changeFraction({ ...state, current: undefined, movesDone: 4 })).toBe(1);
    expect(formatBar(0.5, 10)).toBe('[=====>    ]');
    expect(formatBar(1, 10)).toBe('[==========]');
    expect(formatBar(0, 4)).toBe('[    ]');
  });

  it('formats one line with partitions, records and rate', () => {
    expect(formatProgressLine(state)).toBe(
      'join a2  [==================>           ]  62%  2/4 partitions  partition 5 b1 -> a2: 500/1,000 records  12,500 streamed, 2,500/s',
    );
    expect(formatProgressLine(state, false)).not.toContain('[');
  });

  it('redraws a bar on a terminal, and writes plain lines otherwise', () => {
    let now = 0;
    const tty: string[] = [];
    const onTty = new ChangeProgressDisplay((t) => tty.push(t), true, () => now);
    onTty.started({ kind: 'join', nodeId: 'a2', epoch: 1, movesDone: 0, movesTotal: 2, resumed: false });
    const move = { partition: 3, from: ['a1', 'b1', 'c1'], to: ['a2', 'b1', 'c1'], done: false };
    onTty.moving({ move, leader: 'b1', movesDone: 0, movesTotal: 2, progress: { partition: 3, incoming: ['a2'], phase: 'streaming', recordsSent: 10, recordsScanned: 10, recordsTotal: 20 } });
    expect(tty[tty.length - 1]).toMatch(/^\r\x1b\[Kjoin a2  \[=======> {22}\]  25%  0\/2 partitions/);
    now = 1_000;
    onTty.moved({ move, leader: 'b1', recordsStreamed: 20, epoch: 2, movesDone: 1, movesTotal: 2 });
    expect(tty.join('')).toContain('partition 3 moved from a1 to a2 (20 records streamed by b1; layout epoch 2; 1/2)\n');

    const plain: string[] = [];
    const noTty = new ChangeProgressDisplay((t) => plain.push(t), false, () => now);
    now = 0;
    noTty.started({ kind: 'decommission', nodeId: 'a1', epoch: 7, movesDone: 1, movesTotal: 3, resumed: true });
    now = 6_000;
    noTty.moving({ move, leader: 'b1', movesDone: 1, movesTotal: 3, progress: { partition: 3, incoming: ['a2'], phase: 'streaming', recordsSent: 10, recordsScanned: 10, recordsTotal: 20 } });
    noTty.moving({ move, leader: 'b1', movesDone: 1, movesTotal: 3, progress: { partition: 3, incoming: ['a2'], phase: 'streaming', recordsSent: 11, recordsScanned: 11, recordsTotal: 20 } });
    noTty.finished({ epoch: 9, kind: 'decommission', nodeId: 'a1', alreadyDone: false });
    expect(plain.join('')).not.toContain('\r');
    expect(plain).toEqual([
      'resuming the decommission of a1: layout epoch 7, 2 of 3 partition moves to go\n',
      expect.stringMatching(/^decommission a1  50%  1\/3 partitions  partition 3 b1 -> a2: 10\/20 records/),
      'decommission of a1 done in 6.0 s: layout epoch 9; a1 holds no partition any more; stop its process\n',
    ]);
  });
});

describe('formatLayout', () => {
  it('shows the epoch, the change in progress and the partitions streaming now', () => {
    const cluster = new FakeCluster([...BASE.storageNodes, A2], BASE);
    const plan = { ...BASE, epoch: 3 };
    expect(formatLayout(plan, [])).toEqual(['Layout epoch: 3', 'Partition movement: none']);
    return runChange(cluster, BASE, { kind: 'join', node: A2 }, recorder(0)).catch(async () => {
      const layout = await cluster.newestLayout(BASE);
      const lines = formatLayout(layout, [
        {
          node: node('b1', 'b'),
          status: {
            nodeId: 'b1', zone: 'b', partitionsHeld: [], partitionsLed: [], hintsPending: 0, diskBytes: 0, draining: false, layoutEpoch: 0,
            moves: [{ partition: 4, incoming: ['a2'], phase: 'streaming', recordsSent: 1200, recordsScanned: 1500, recordsTotal: 3000 }],
          },
        },
      ]);
      expect(lines[0]).toBe('Layout epoch: 1');
      expect(lines[1]).toBe('  not yet adopted by: b1 (epoch 0)');
      expect(lines[2]).toMatch(/^Partition movement: join of a2, 0\/\d+ partitions moved \(to go: /);
      expect(lines[3]).toBe('  partition 4: b1 -> a2: streaming, 1,500/3,000 records read, 1,200 sent');
    });
  });
});
