import { SwimMember, type MemberRole, type MemberStatus, type SwimConfig, type SwimMessage } from '../../src/swim';
import { seededRandom } from './prng';

/**
 * A whole cluster of SWIM members in one process, on a simulated clock and network: every
 * message is delayed (hence reordered), may be lost, is dropped across a partition or to a
 * crashed member. One seed decides everything, so a failing run replays exactly.
 *
 * The network models the gRPC transport: a message is a call, and the receiver's direct reply
 * (a ping's ack, a sync's sync-reply) travels back to the caller — unless the caller crashed or
 * restarted meanwhile, as a reply to a dead process's call goes nowhere.
 */

export interface SimulationOptions {
  seed: number;
  swim?: Partial<SwimConfig>;
  /** How often each member's driver calls tick (the agent's timer). */
  tickMs?: number;
  delayMsMin?: number;
  delayMsMax?: number;
  /** Probability that one message (or reply) is lost. */
  lossRate?: number;
}

export interface ObservedEvent {
  atMs: number;
  observer: string;
  memberId: string;
  from: MemberStatus | undefined;
  to: MemberStatus;
  incarnation: number;
}

interface SimNode {
  id: string;
  address: string;
  zone: string;
  role: MemberRole;
  member: SwimMember;
  /** Bumped on every restart: replies and ticks of an older life are dropped. */
  generation: number;
  crashed: boolean;
}

type Scheduled =
  | { kind: 'tick'; atMs: number; seq: number; address: string; generation: number }
  | {
      kind: 'deliver';
      atMs: number;
      seq: number;
      fromAddress: string;
      fromGeneration: number;
      toAddress: string;
      message: SwimMessage;
      isReply: boolean;
    };

/** Step bound for one run: a runaway loop is a bug, not something to wait out. */
const SIMULATION_STEPS_MAX = 20_000_000;

export class SimulatedCluster {
  nowMs = 0;
  readonly events: ObservedEvent[] = [];
  readonly trace: string[] = [];
  private readonly nodes = new Map<string, SimNode>();
  private readonly queue: Scheduled[] = [];
  private seq = 0;
  private steps = 0;
  private readonly network: () => number;
  private readonly tickMs: number;
  private readonly delayMsMin: number;
  private readonly delayMsMax: number;
  lossRate: number;
  private partition: Map<string, number> | undefined;
  /** The highest incarnation each observer has seen for each member: it must never go down. */
  private readonly highestSeen = new Map<string, number>();
  messagesSent = 0;
  messagesLost = 0;

  constructor(private readonly options: SimulationOptions) {
    this.network = seededRandom(options.seed);
    this.tickMs = options.tickMs ?? 50;
    this.delayMsMin = options.delayMsMin ?? 1;
    this.delayMsMax = options.delayMsMax ?? 25;
    this.lossRate = options.lossRate ?? 0;
  }

  /** Creates member `node-<i>` at address `10.0.0.<i>:7000`, in zone `zone-<i % 3>`, and joins it through `seeds`. */
  addNode(index: number, seeds: string[], incarnation = 0): string {
    const id = `node-${index}`;
    const address = addressOf(index);
    const existing = this.nodes.get(address);
    const generation = existing ? existing.generation + 1 : 0;
    const random = seededRandom((this.options.seed * 7919 + index * 104729 + generation * 1299709) >>> 0);
    const node: SimNode = {
      id,
      address,
      zone: `zone-${index % 3}`,
      role: index % 4 === 3 ? 'router' : 'storage',
      member: new SwimMember({ id, zone: `zone-${index % 3}`, role: index % 4 === 3 ? 'router' : 'storage', address, incarnation }, this.options.swim ?? {}, random),
      generation,
      crashed: false,
    };
    this.nodes.set(address, node);
    this.note(`${id} starts (generation ${generation}, incarnation ${incarnation})`);
    node.member.join(seeds);
    this.collect(node);
    // A random phase so that members do not tick in lockstep.
    this.schedule({ kind: 'tick', atMs: this.nowMs + Math.floor(this.network() * this.tickMs), seq: 0, address, generation });
    return id;
  }

  /** The member stops answering and sending, as a killed process does. */
  crash(index: number): void {
    const node = this.node(index);
    node.crashed = true;
    this.note(`${node.id} crashes`);
  }

  /** A new process for a crashed member: fresh state, same id and address, joins through the seeds. */
  restart(index: number, seeds: string[], incarnation: number): void {
    const node = this.node(index);
    if (!node.crashed) throw new Error(`${node.id} is running`);
    this.addNode(index, seeds, incarnation);
  }

  leave(index: number): void {
    const node = this.node(index);
    node.member.leave();
    this.collect(node);
  }

  /** Messages between different groups are dropped; addresses not listed form a group of their own. */
  partitionInto(groups: number[][]): void {
    this.partition = new Map();
    groups.forEach((group, g) => group.forEach((index) => this.partition!.set(addressOf(index), g)));
    this.note(`partition ${JSON.stringify(groups)}`);
  }

  heal(): void {
    this.partition = undefined;
    this.note('partition healed');
  }

  /** Status of `memberId` as `observer` believes it (undefined when unknown). */
  view(observer: number, memberId: string): MemberStatus | undefined {
    return this.node(observer).member.member(memberId)?.status;
  }

  member(index: number): SwimMember {
    return this.node(index).member;
  }

  running(): number[] {
    return [...this.nodes.values()].filter((n) => !n.crashed).map((n) => indexOf(n.address));
  }

  /** True when every running member in `observers` sees every member of `subjects` with `status`. */
  allSee(observers: number[], subjects: number[], status: MemberStatus): boolean {
    return observers.every((o) => subjects.every((s) => this.view(o, `node-${s}`) === status));
  }

  run(durationMs: number): void {
    this.runUntil(() => false, durationMs, false);
  }

  /**
   * Runs until `done()` holds (checked after every step) and returns how long it took; throws
   * when `withinMs` passes first (unless `mustHold` is false, which just runs for `withinMs`).
   */
  runUntil(done: () => boolean, withinMs: number, mustHold = true): number {
    const startMs = this.nowMs;
    const deadlineMs = startMs + withinMs;
    if (done()) return 0;
    while (this.queue.length > 0 && this.queue[0].atMs <= deadlineMs) {
      if (++this.steps > SIMULATION_STEPS_MAX) throw new Error('simulation step limit reached');
      const next = this.queue.shift()!;
      this.nowMs = next.atMs;
      this.step(next);
      if (done()) return this.nowMs - startMs;
    }
    this.nowMs = deadlineMs;
    if (mustHold) throw new Error(`condition not reached within ${withinMs} ms (t=${this.nowMs})`);
    return withinMs;
  }

  /** The last lines of the trace, for a failure message. */
  tail(lines = 40): string {
    return this.trace.slice(-lines).join('\n');
  }

  private step(next: Scheduled): void {
    const node = this.nodes.get(next.kind === 'tick' ? next.address : next.toAddress);
    if (next.kind === 'tick') {
      if (!node || node.crashed || node.generation !== next.generation) return;
      node.member.tick(this.nowMs);
      this.collect(node);
      this.schedule({ ...next, atMs: this.nowMs + this.tickMs });
      return;
    }
    if (!node || node.crashed) return;
    if (next.isReply) {
      // A reply belongs to the call of one process: a restarted member never sees it.
      if (node.generation !== next.fromGeneration) return;
      node.member.receive(next.message, this.nowMs);
      this.collect(node);
      return;
    }
    const reply = node.member.receive(next.message, this.nowMs);
    this.collect(node);
    if (reply) {
      const caller = this.nodes.get(next.fromAddress);
      if (caller) this.transmit(node.address, caller.address, reply, true, caller.generation);
    }
  }

  /** Takes a member's output: messages onto the network, events into the log, then checks invariants. */
  private collect(node: SimNode): void {
    const { messages, events } = node.member.drain();
    for (const event of events) {
      this.events.push({
        atMs: this.nowMs,
        observer: node.id,
        memberId: event.memberId,
        from: event.from,
        to: event.to,
        incarnation: event.member.incarnation,
      });
      this.note(`${node.id} sees ${event.memberId} ${event.from ?? 'new'} -> ${event.to} (inc ${event.member.incarnation})`);
    }
    for (const { toAddress, message } of messages) this.transmit(node.address, toAddress, message, false, node.generation);
    this.checkInvariants(node);
  }

  private transmit(fromAddress: string, toAddress: string, message: SwimMessage, isReply: boolean, generation: number): void {
    this.messagesSent += 1;
    const cut = this.partition && (this.partition.get(fromAddress) ?? -1) !== (this.partition.get(toAddress) ?? -2);
    if (cut || this.network() < this.lossRate) {
      this.messagesLost += 1;
      return;
    }
    // Round-trip safety: the message is serialised as the gRPC transport would.
    const copy = JSON.parse(JSON.stringify(message)) as SwimMessage;
    const delayMs = this.delayMsMin + Math.floor(this.network() * (this.delayMsMax - this.delayMsMin + 1));
    this.schedule({
      kind: 'deliver',
      atMs: this.nowMs + delayMs,
      seq: 0,
      fromAddress,
      fromGeneration: generation,
      toAddress,
      message: copy,
      isReply,
    });
  }

  /** Invariants after every step: a running member believes itself alive (or left), and incarnations never go down. */
  private checkInvariants(node: SimNode): void {
    if (node.crashed) return;
    for (const state of node.member.members()) {
      if (state.id === node.id && state.status !== 'alive' && state.status !== 'left') {
        throw new Error(`invariant: ${node.id} believes itself ${state.status}`);
      }
      const key = `${node.id}/${node.generation}/${state.id}`;
      const highest = this.highestSeen.get(key) ?? -1;
      if (state.incarnation < highest) {
        throw new Error(`invariant: ${node.id} saw ${state.id}'s incarnation go down from ${highest} to ${state.incarnation}`);
      }
      this.highestSeen.set(key, state.incarnation);
    }
  }

  private schedule(entry: Scheduled): void {
    entry.seq = ++this.seq;
    // Insert in (atMs, seq) order; queues stay small (tens of entries), so a linear scan from the end is enough.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].atMs > entry.atMs) i--;
    this.queue.splice(i, 0, entry);
  }

  private node(index: number): SimNode {
    const node = this.nodes.get(addressOf(index));
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  private note(line: string): void {
    this.trace.push(`${String(this.nowMs).padStart(7)} ms  ${line}`);
    if (this.trace.length > 5000) this.trace.splice(0, 1000);
  }
}

export function addressOf(index: number): string {
  return `10.0.0.${index}:7000`;
}

function indexOf(address: string): number {
  return Number(address.split(':')[0].split('.')[3]);
}
