/**
 * The membership fault: a fourth storage node (the spare, `storage-a-2`) joins the cluster, or —
 * when it is in — is decommissioned, while the network splits the replicas of a partition that
 * has just been switched to its new replica set: {its leader, the incoming node} | {the other
 * replicas, the leaving node}. Each side holds a majority of one of the two replica sets (the new
 * one, the old one): a mover that adopts the new set without fencing the old one lets both sides
 * elect and acknowledge writes, and one side's writes are lost when the split heals (issue 11,
 * item 3). Routers reach every node the whole time, so clients write to whichever side they
 * think leads.
 *
 * One fault: (1) the change runs as `triad join` / `triad decommission` would (the CLI's runner,
 * in this process, outside every fault); (2) as soon as a partition's move is done, the split
 * goes up around it, and stays for the fault's duration while the change goes on (moves whose
 * replicas are split wait and retry); (3) healed; (4) the change is run to its end (resumed if
 * the runner gave up), within CHANGE_DONE_TIMEOUT_MS. The spare is started (empty) before a join;
 * after a decommission it keeps running, holding nothing.
 */
import { GrpcChangeCluster, runChange, type ChangeIntent, type ChangeListener } from '@triad/cli';
import type { ClusterLayout, PartitionMove } from '@triad/ring';
import type { LocalCluster } from '../local-cluster/local-cluster';
import { nowMs, sleepUnless } from './clock';
import type { ClockOffsets } from './clock-offsets';
import { clusterProcesses, type ClusterProbe } from './cluster-probe';
import type { FaultRecord, FaultScenario, FaultSpec } from './faults';
import type { NetworkFaults } from './network-faults';
import type { Prng } from './prng';

/** The zone of the spare storage node (a second node in the zone of the first layout node). */
export const SPARE_ZONE = 'a';
/** The change (all its moves) must be over within this long after the split heals. */
const CHANGE_DONE_TIMEOUT_MS = 180_000;
/** How long the fault waits for the first move to be done before it splits anyway, around the partition moving then. */
const FIRST_MOVE_WAIT_MS = 60_000;

export interface MembershipInit {
  cluster: LocalCluster;
  probe: ClusterProbe;
  network: NetworkFaults;
  /** The spare gets an offset too, when it first starts. */
  clocks?: ClockOffsets;
  rng?: Prng;
  log?: (line: string) => void;
}

/** Which nodes a partition's move takes out, keeps, and brings in. */
export function moveRoles(move: PartitionMove): { leaving: string[]; staying: string[]; incoming: string[] } {
  return {
    leaving: move.from.filter((id) => !move.to.includes(id)),
    staying: move.from.filter((id) => move.to.includes(id)),
    incoming: move.to.filter((id) => !move.from.includes(id)),
  };
}

/**
 * The split around a move run by `leader`: {leader, incoming} | {every other replica of the old
 * or new set}. With the leader one of the staying replicas, that is {leader, incoming} |
 * {staying, leaving}: a majority of the new set on one side, of the old set on the other. Pure.
 */
export function splitAround(move: PartitionMove, leader: string): [string[], string[]] {
  const { incoming } = moveRoles(move);
  const one = [...new Set([leader, ...incoming])];
  const other = [...new Set([...move.from, ...move.to])].filter((id) => !one.includes(id));
  return [one, other];
}

export class MembershipScenario implements FaultScenario {
  private readonly admin: GrpcChangeCluster;
  /** The change running now (in the background of a fault, or finishing in heal()). */
  private change?: Promise<ClusterLayout>;
  private spareStarted = false;

  constructor(private readonly c: MembershipInit) {
    this.admin = new GrpcChangeCluster(c.cluster.grpcSecurity);
  }

  private get spareId(): string {
    const sameZone = this.c.cluster.layout.storageNodes.filter((n) => n.zone === SPARE_ZONE).length;
    return `storage-${SPARE_ZONE}-${sameZone + 1}`;
  }

  async plan(_rng: Prng, durationMs: number): Promise<FaultSpec | undefined> {
    const layout = await this.c.probe.refreshLayout();
    const spare = this.spareId;
    const kind: ChangeIntent['kind'] = layout.change ? layout.change.kind : layout.storageNodes.some((n) => n.id === spare) ? 'decommission' : 'join';
    return { kind: 'membership', durationMs, scenario: { change: kind, node: layout.change?.node.id ?? spare } };
  }

  describe(spec: FaultSpec): string {
    const { change, node } = spec.scenario as { change: string; node: string };
    return `${change} ${node}, splitting {leader, incoming} | {staying, leaving} around the first partition moved, heal, finish the ${change}`;
  }

  /** The spare and the node of its zone: the ones partitions move between. */
  nodes(spec: FaultSpec): string[] {
    const node = String(spec.scenario!.node);
    const zonePeer = this.c.cluster.layout.storageNodes.find((n) => n.zone === SPARE_ZONE)!.id;
    return this.c.probe.ring.node(node) ? [node, zonePeer] : [zonePeer];
  }

  /** Starts the spare empty (wiping what an earlier decommission left), and gives it a fault file and a clock. */
  private async startSpare(): Promise<void> {
    const { cluster, network, clocks, rng } = this.c;
    const id = this.spareId;
    if (!this.spareStarted) {
      if (clocks && rng) clocks.randomize([id], rng);
      // Its fault file is written once it is known (the gate reads a missing file as no fault, and polls).
      const node = await cluster.startExtraNode(SPARE_ZONE);
      if (node.id !== id) throw new Error(`the spare started as ${node.id}, expected ${id}`);
      network.addProcess(clusterProcesses(cluster).find((p) => p.id === id)!);
      this.spareStarted = true;
      return;
    }
    if (cluster.isRunning(id)) await cluster.signal(id, 'SIGTERM');
    cluster.wipeNode(id);
    await cluster.startNode(id);
  }

  async run(spec: FaultSpec, record: FaultRecord, stopped: () => boolean, log: (line: string) => void): Promise<void> {
    const { cluster, network } = this.c;
    const note = (line: string) => {
      (record.notes ??= []).push(line);
      log(`fault ${record.id}: ${line}`);
    };
    const { change: kind, node } = spec.scenario as { change: ChangeIntent['kind']; node: string };
    const layout = await this.c.probe.refreshLayout();
    if (kind === 'join' && !layout.change) await this.startSpare();
    const spare = cluster.storageNode(node);
    const intent: ChangeIntent = kind === 'join' ? { kind, node: { id: spare.id, zone: spare.zone, address: spare.address } } : { kind, nodeId: spare.id };

    let firstMoved: ((m: { move: PartitionMove; leader: string }) => void) | undefined;
    const moved = new Promise<{ move: PartitionMove; leader: string }>((resolve) => (firstMoved = resolve));
    let moving: { move: PartitionMove; leader: string } | undefined;
    let movesDone = 0;
    let movesTotal = 0;
    const listener: ChangeListener = {
      started: (info) => {
        movesTotal = info.movesTotal;
        movesDone = info.movesDone;
        note(`${info.resumed ? 'resumed' : 'started'} the ${info.kind} of ${info.nodeId}: layout epoch ${info.epoch}, ${info.movesTotal - info.movesDone} of ${info.movesTotal} moves to go`);
      },
      moving: (info) => (moving = { move: info.move, leader: info.leader }),
      moved: (info) => {
        movesDone = info.movesDone;
        firstMoved?.({ move: info.move, leader: info.leader });
        firstMoved = undefined;
      },
      note: () => undefined,
      finished: (info) => note(`${info.kind} of ${info.nodeId} ${info.alreadyDone ? 'was already done' : 'done'} (epoch ${info.epoch})`),
    };
    const started = nowMs();
    this.change = runChange(this.admin, cluster.layout, intent, listener);
    const ended = this.change.then(
      () => undefined,
      (error: unknown) => error,
    );
    const first = await Promise.race([moved, ended.then(() => undefined), sleepUnless(FIRST_MOVE_WAIT_MS, stopped).then(() => undefined)]);
    const around = first ?? moving;
    if (!around) {
      note(`no partition moved or moving to split around (${movesDone} of ${movesTotal} moves done); no split`);
    } else {
      const [one, other] = splitAround(around.move, around.leader);
      network.splitStorage(one, other);
      record.startMs = nowMs();
      const roles = moveRoles(around.move);
      note(
        `partition ${around.move.partition} ${first ? 'moved' : 'moving'} by ${around.leader} ${Math.round(nowMs() - started)} ms into the change ` +
          `(leaving ${roles.leaving.join(', ') || '-'}, staying ${roles.staying.join(', ')}, incoming ${roles.incoming.join(', ') || '-'}): split {${one.join(', ')}} | {${other.join(', ')}}`,
      );
      await sleepUnless(spec.durationMs, stopped);
      network.heal();
    }
    await this.finish(note);
  }

  /** Waits for the change running now, and runs it again (resuming) until the layout has none, within CHANGE_DONE_TIMEOUT_MS. */
  private async finish(note: (line: string) => void): Promise<void> {
    const deadline = nowMs() + CHANGE_DONE_TIMEOUT_MS;
    const quiet: ChangeListener = { started: () => undefined, moving: () => undefined, moved: () => undefined, note: () => undefined, finished: () => undefined };
    for (;;) {
      const running = this.change;
      if (running) {
        const error = await Promise.race([
          running.then(
            () => undefined,
            (e: unknown) => e,
          ),
          sleepUnless(Math.max(0, deadline - nowMs()), () => false).then(() => new Error(`not done within ${CHANGE_DONE_TIMEOUT_MS} ms`)),
        ]);
        if (this.change === running) this.change = undefined;
        if (error) note(`the change runner stopped: ${String(error).split('\n')[0]}`);
      }
      const layout = await this.c.probe.refreshLayout();
      if (!layout.change) return;
      if (nowMs() > deadline) throw new Error(`the ${layout.change.kind} of ${layout.change.node.id} is still in progress after ${CHANGE_DONE_TIMEOUT_MS} ms`);
      const intent: ChangeIntent = layout.change.kind === 'join' ? { kind: 'join', node: layout.change.node } : { kind: 'decommission', nodeId: layout.change.node.id };
      this.change = runChange(this.admin, this.c.cluster.layout, intent, quiet);
    }
  }

  /** A change left in progress (the run stopped during the fault) is finished: the checks need settled replica sets. */
  async heal(): Promise<void> {
    await this.finish(() => undefined).catch((error: unknown) => this.c.log?.(`membership: could not finish the change: ${String(error)}`));
  }

  close(): void {
    this.admin.close();
  }
}
