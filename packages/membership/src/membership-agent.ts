import { EventEmitter } from 'node:events';
import { realEnvironment, type Environment, type TimerHandle } from '@triad/runtime';
import { SENDS_IN_FLIGHT_MAX } from './limits';
import {
  SwimMember,
  type MemberInfo,
  type MemberState,
  type MemberStatus,
  type OutgoingMessage,
  type SwimConfig,
  type SwimMessage,
} from './swim';
import type { MembershipHandler, MembershipTransport } from './transport';

/** What the operator configures (js-libp2p's `*Init`). */
export interface MembershipAgentInit {
  /** This process as it advertises itself; `address` is where its gRPC server (with the Membership service) listens. */
  self: MemberInfo;
  /** Addresses to join through (in Kubernetes, the headless service's pods). May include our own address. */
  seeds: readonly string[];
  /** SWIM tunables; see `SwimConfig` for defaults and reasons. */
  swim?: Partial<SwimConfig>;
  /**
   * Starting incarnation. Leave at 0 unless one is persisted: a restarted member learns its old
   * incarnation from the cluster and outbids it anyway (refutation).
   * @default 0
   */
  incarnation?: number;
  /**
   * How often the SWIM state machine is ticked. Its timers (ping timeout, protocol period) are
   * honoured to within this granularity.
   * @default 100
   */
  tickIntervalMs?: number;
  /**
   * Deadline of a full-state sync (join, anti-entropy), which carries every member.
   * @default 2000
   */
  syncDeadlineMs?: number;
  /**
   * How long `stop()` waits for calls in flight (the leave notices among them).
   * @default 1000
   */
  stopTimeoutMs?: number;
}

/** What the agent is given rather than creates (js-libp2p's `*Components`): swap them in tests. */
export interface MembershipAgentComponents {
  /** How messages travel: a `GrpcMembershipTransport` (with the cluster's mutual TLS) or the simulator's. */
  transport: MembershipTransport;
  /**
   * Clocks, timers and randomness: SWIM's timeouts run on its monotonic clock, its choices on its
   * randomness. @default realEnvironment
   */
  environment?: Environment;
}

export interface MembershipAgentEvents {
  /** A member appeared (previousStatus undefined), changed status, or changed what it advertises. */
  change: [member: MemberState, previousStatus: MemberStatus | undefined];
}

export interface StopOptions {
  /**
   * Leave gracefully first (status `left`, told to live members). False simulates a crash for
   * tests, or stops a process that will come straight back.
   * @default true
   */
  leave?: boolean;
}

/**
 * The async driver of one process's membership: owns a SwimMember, ticks it on a timer, sends what
 * it asks through the transport and feeds replies back. Register it on the process's gRPC server
 * with `addMembershipService(server, agent)` so incoming gossip reaches `handleGossip`.
 *
 * Membership reports status only: a dead member stays listed (the ring keeps its data there);
 * `remove(id)` is for decommissioning.
 */
export class MembershipAgent extends EventEmitter<MembershipAgentEvents> implements MembershipHandler {
  private readonly swim: SwimMember;
  private readonly transport: MembershipTransport;
  private readonly env: Environment;
  private readonly seeds: readonly string[];
  private readonly tickIntervalMs: number;
  private readonly syncDeadlineMs: number;
  private readonly stopTimeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: TimerHandle | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  /** Messages dropped because SENDS_IN_FLIGHT_MAX calls were already in flight (SWIM tolerates loss). */
  sendsDropped = 0;
  /** Calls that failed (unreachable peer, deadline): silence to SWIM, a number for metrics. */
  sendsFailed = 0;

  constructor(init: MembershipAgentInit, components: MembershipAgentComponents) {
    super();
    this.env = components.environment ?? realEnvironment;
    this.transport = components.transport;
    this.seeds = init.seeds;
    this.tickIntervalMs = init.tickIntervalMs ?? 100;
    this.syncDeadlineMs = init.syncDeadlineMs ?? 2_000;
    this.stopTimeoutMs = init.stopTimeoutMs ?? 1_000;
    this.swim = new SwimMember({ ...init.self, incarnation: init.incarnation ?? 0 }, init.swim ?? {}, this.env.random);
  }

  get id(): string {
    return this.swim.id;
  }

  /** Claims whose incarnation jumped further than INCARNATION_STEP_MAX and were bounded: forged or corrupt gossip. */
  get incarnationsBounded(): number {
    return this.swim.incarnationsBounded;
  }

  /** Every known member, this one included (copies). */
  members(): MemberState[] {
    return this.swim.members();
  }

  member(id: string): MemberState | undefined {
    return this.swim.member(id);
  }

  /** Joins through the seeds and starts ticking. */
  start(): void {
    if (this.state !== 'new') throw new Error(`membership agent already ${this.state}`);
    this.state = 'running';
    this.swim.join(this.seeds);
    this.swim.tick(this.env.monotonicMs());
    this.flush();
    this.timer = this.env.setInterval(() => this.tick(), this.tickIntervalMs);
    this.timer.unref();
  }

  /** Leaves (unless told not to), waits briefly for calls in flight, and closes the transport. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.env.clearInterval(this.timer);
    this.timer = undefined;
    if (wasRunning && (options.leave ?? true)) {
      this.swim.leave();
      this.flush(true);
    }
    await this.settleInFlight();
    this.transport.close();
  }

  /** Decommission: forget a member for good (an admin command applies it on every member). */
  remove(id: string): boolean {
    return this.swim.remove(id);
  }

  /** Incoming gossip from the gRPC service: returns the direct reply (a ping's ack). */
  handleGossip(message: SwimMessage, _fromAddress: string): SwimMessage | null {
    if (this.state === 'stopped') return null;
    const reply = this.swim.receive(message, this.env.monotonicMs());
    this.flush();
    return reply;
  }

  private tick(): void {
    if (this.state !== 'running') return;
    this.swim.tick(this.env.monotonicMs());
    this.flush();
  }

  /** Hands the state machine's output to the transport and the listeners. */
  private flush(leaving = false): void {
    const { messages, events } = this.swim.drain();
    for (const outgoing of messages) this.send(outgoing, leaving);
    for (const event of events) this.emit('change', event.member, event.from);
  }

  private send({ toAddress, message }: OutgoingMessage, leaving: boolean): void {
    if (this.state === 'stopped' && !leaving) return;
    if (this.inFlight.size >= SENDS_IN_FLIGHT_MAX) {
      this.sendsDropped += 1;
      return;
    }
    const deadlineMs =
      message.type === 'sync' ? this.syncDeadlineMs : leaving ? this.stopTimeoutMs : this.swim.config.protocolPeriodMs;
    const call = this.transport.send(toAddress, message, deadlineMs).then(
      (reply) => {
        if (reply && this.state === 'running') {
          this.swim.receive(reply, this.env.monotonicMs());
          this.flush();
        }
      },
      () => {
        // Unreachable or too slow: to SWIM that is a missing ack, which its timeouts handle.
        this.sendsFailed += 1;
      },
    );
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }

  private async settleInFlight(): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.env.setTimeout(resolve, this.stopTimeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    this.env.clearTimeout(timer);
  }
}
