/**
 * `triad join` and `triad decommission`: runs a layout change step by step until it is over. The
 * state lives in the cluster (every node keeps the newest layout it adopted), not here: running
 * the command again after a crash (of this process or of a node) continues from the newest layout
 * any node has, and a partition stream that was cut short resumes with what is still missing.
 * The I/O is behind `ChangeCluster`, so that the sequence can be tested without processes.
 */
import {
  LayoutChangeError,
  Ring,
  changeProgress,
  finishChange,
  layoutEpoch,
  nextChangeStep,
  planDecommission,
  planJoin,
  type ClusterLayout,
  type PartitionMove,
  type StorageNodeInfo,
} from '@triad/ring';
import type { MovePartitionReply, MoveProgress } from '@triad/rpc';

export interface ChangeCluster {
  /** The newest layout among `seed` and what every reachable node of it (and of newer layouts found) has. */
  newestLayout(seed: ClusterLayout): Promise<ClusterLayout>;
  /** Sends the layout to the nodes; resolves with the ids of those that took it. */
  pushLayout(layout: ClusterLayout, nodes: readonly StorageNodeInfo[]): Promise<string[]>;
  /** Whether the node answers at all. */
  reachable(node: StorageNodeInfo): Promise<boolean>;
  /** One MovePartition call; rejects when the node cannot be reached or did not answer in time. */
  movePartition(node: StorageNodeInfo, partition: number, minEpoch: number): Promise<MovePartitionReply>;
  /** The moves a node runs now (for progress while a MovePartition call is in flight). */
  moveProgress(node: StorageNodeInfo): Promise<MoveProgress[]>;
  sleep(ms: number): Promise<void>;
  /** Milliseconds on a monotonic clock: how long a move has made no progress. */
  nowMs(): number;
}

export type ChangeIntent = { kind: 'join'; node: StorageNodeInfo } | { kind: 'decommission'; nodeId: string };

/** What the runner tells the operator (a progress bar on a terminal, lines otherwise). */
export interface ChangeListener {
  started(info: { kind: ChangeIntent['kind']; nodeId: string; epoch: number; movesDone: number; movesTotal: number; resumed: boolean }): void;
  /** While a partition streams; `progress` is undefined until its leader reports. */
  moving(info: { move: PartitionMove; leader: string; movesDone: number; movesTotal: number; progress?: MoveProgress }): void;
  moved(info: { move: PartitionMove; leader: string; recordsStreamed: number; epoch: number; movesDone: number; movesTotal: number }): void;
  /** A retry or a wait worth a line (leadership moving, a node not answering). */
  note(message: string): void;
  finished(info: { epoch: number; kind: ChangeIntent['kind']; nodeId: string; alreadyDone: boolean }): void;
}

/** Pause between attempts when no replica could run a move (elections, a restarting node). */
export const MOVE_RETRY_PAUSE_MS = 500;
/** While a MovePartition call runs, its leader is asked for progress this often. */
export const PROGRESS_POLL_INTERVAL_MS = 500;
/** A move that makes no progress for this long (no replica answers, or every attempt fails) ends the command. */
export const MOVE_STALL_MS_MAX = 120_000;

const ids = (nodes: readonly StorageNodeInfo[]) => nodes.map((n) => n.id).join(', ');

export async function runChange(cluster: ChangeCluster, seed: ClusterLayout, intent: ChangeIntent, listener: ChangeListener): Promise<ClusterLayout> {
  let layout = await cluster.newestLayout(seed);
  const nodeId = intent.kind === 'join' ? intent.node.id : intent.nodeId;
  let resumed = false;
  if (layout.change) {
    if (layout.change.kind !== intent.kind || layout.change.node.id !== nodeId) {
      throw new LayoutChangeError(`a ${layout.change.kind} of ${layout.change.node.id} is in progress; finish it first (triad ${layout.change.kind} --node ${layout.change.node.id})`);
    }
    resumed = true;
  } else if (intent.kind === 'join' && layout.storageNodes.some((n) => n.id === nodeId)) {
    listener.finished({ epoch: layoutEpoch(layout), kind: intent.kind, nodeId, alreadyDone: true });
    return layout;
  } else if (intent.kind === 'decommission' && !layout.storageNodes.some((n) => n.id === nodeId)) {
    listener.finished({ epoch: layoutEpoch(layout), kind: intent.kind, nodeId, alreadyDone: true });
    return layout;
  } else {
    let next: ClusterLayout;
    if (intent.kind === 'join') {
      next = planJoin(layout, intent.node);
      if (!(await cluster.reachable(intent.node))) {
        throw new LayoutChangeError(`${intent.node.id} does not answer at ${intent.node.address}: start it first (it waits, holding nothing, until it is joined)`);
      }
    } else {
      next = planDecommission(layout, intent.nodeId);
    }
    const took = await cluster.pushLayout(next, new Ring(next).nodes);
    if (took.length === 0) throw new Error('no storage node took the new layout');
    layout = next;
  }
  const progress = changeProgress(layout)!;
  listener.started({ kind: intent.kind, nodeId, epoch: layoutEpoch(layout), movesDone: progress.movesDone, movesTotal: progress.movesTotal, resumed });

  for (;;) {
    const step = nextChangeStep(layout);
    if (step.kind === 'idle') break;
    if (step.kind === 'finish') {
      const next = finishChange(layout);
      // Every node of the change hears of its end, the leaving node included (it drops what it still
      // has). One that took it is enough (the others pull it within a second or so); none is not:
      // the change would be over for this command and still in progress for the cluster.
      const since = cluster.nowMs();
      while ((await cluster.pushLayout(next, new Ring(layout).nodes)).length === 0) {
        if (cluster.nowMs() - since > MOVE_STALL_MS_MAX) {
          throw new Error(`no storage node took the final layout (epoch ${layoutEpoch(next)}) for ${MOVE_STALL_MS_MAX / 1000} s; run the command again once they answer`);
        }
        listener.note(`no storage node took the final layout (epoch ${layoutEpoch(next)}) yet; trying again`);
        await cluster.sleep(MOVE_RETRY_PAUSE_MS);
      }
      layout = next;
      break;
    }
    layout = await moveOne(cluster, layout, step.move, listener);
  }
  listener.finished({ epoch: layoutEpoch(layout), kind: intent.kind, nodeId, alreadyDone: false });
  return layout;
}

/** Runs one move at the partition's leader, following leadership, until a layout has it done. */
async function moveOne(cluster: ChangeCluster, layout: ClusterLayout, move: PartitionMove, listener: ChangeListener): Promise<ClusterLayout> {
  const ring = new Ring(layout);
  const replicas = move.from.map((id) => ring.node(id)!).filter(Boolean);
  const counts = () => {
    const p = changeProgress(layout)!;
    return { movesDone: p.movesDone, movesTotal: p.movesTotal };
  };
  let hint: string | undefined;
  let lastProgressAt = cluster.nowMs();
  for (;;) {
    const order = hint ? [...replicas.filter((n) => n.id === hint), ...replicas.filter((n) => n.id !== hint)] : replicas;
    hint = undefined;
    for (const node of order) {
      let reply: MovePartitionReply;
      listener.moving({ move, leader: node.id, ...counts() });
      try {
        reply = await withProgress(cluster, node, move, cluster.movePartition(node, move.partition, layoutEpoch(layout)), (p) => {
          lastProgressAt = cluster.nowMs();
          listener.moving({ move, leader: node.id, progress: p, ...counts() });
        });
        lastProgressAt = cluster.nowMs();
      } catch (error) {
        listener.note(`partition ${move.partition}: ${node.id} did not answer (${(error as Error).message.split('\n')[0]}); trying another replica`);
        continue;
      }
      if (reply.status === 'MOVE_STATUS_DONE') {
        const newest = await cluster.newestLayout(layout);
        const stillPending = newest.change?.moves.some((m) => m.partition === move.partition && !m.done && m.from.join() === move.from.join());
        if (!stillPending) {
          layout = newest;
          listener.moved({ move, leader: node.id, recordsStreamed: Number(reply.recordsStreamed), epoch: layoutEpoch(layout), ...counts() });
          return layout;
        }
        // That node's layout is older than ours (it says done only because it knows no such move): bring it up to date.
        await cluster.pushLayout(newest, [node]);
        layout = newest;
        continue;
      }
      if (reply.status === 'MOVE_STATUS_RETRY') {
        if (Number(reply.epoch) < layoutEpoch(layout)) await cluster.pushLayout(layout, [node]);
        else listener.note(`partition ${move.partition}: ${node.id} asks to retry${reply.detail ? `: ${reply.detail}` : ''}`);
        hint = reply.leaderHint || node.id;
        break;
      }
      // Not the leader: go to the leader it names, if it is one of the partition's replicas.
      if (reply.leaderHint && replicas.some((n) => n.id === reply.leaderHint) && reply.leaderHint !== node.id) {
        hint = reply.leaderHint;
        break;
      }
    }
    if (cluster.nowMs() - lastProgressAt > MOVE_STALL_MS_MAX) {
      throw new Error(`partition ${move.partition} could not be moved for ${MOVE_STALL_MS_MAX / 1000} s: no replica of ${ids(replicas)} could run it; run the command again once they answer`);
    }
    await cluster.sleep(MOVE_RETRY_PAUSE_MS);
  }
}

/** Awaits `call`, reporting the leader's progress for the partition every PROGRESS_POLL_INTERVAL_MS meanwhile. */
async function withProgress<T>(cluster: ChangeCluster, node: StorageNodeInfo, move: PartitionMove, call: Promise<T>, report: (progress: MoveProgress) => void): Promise<T> {
  let done = false;
  const poll = (async () => {
    while (!done) {
      await Promise.race([cluster.sleep(PROGRESS_POLL_INTERVAL_MS), call.catch(() => undefined)]);
      if (done) return;
      const moves = await cluster.moveProgress(node).catch(() => []);
      const mine = moves.find((m) => m.partition === move.partition);
      if (mine && !done) report(mine);
    }
  })();
  try {
    return await call;
  } finally {
    done = true;
    await poll;
  }
}
