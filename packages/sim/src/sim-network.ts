import * as grpc from '@grpc/grpc-js';
import type { MembershipHandler, MembershipTransport, SwimMessage } from '@triad/membership';
import type { StorageConnector, StorageNodeService } from '@triad/rpc';
import { Prng, type SimulatedEnvironment, type Simulator, type TimerHandle } from '@triad/runtime';
import type { ServedNode, StorageNodeNetwork } from '@triad/storage-node';
import { LINK_LATENCY_MS_MAX, LINK_LATENCY_MS_MIN, TRACE_LINES_MAX } from './limits';
import type { FaultHook, LinkVerdict, SimMessage } from './network-faults';
import { SimStorageConnection } from './sim-storage-connection';
import { SimStream, handlerStatus, statusError } from './sim-stream';
import { gossipCodec, storageCodec, type WireCodec } from './wire-codec';

export interface SimNetworkOptions {
  /** One-way latency of a message the fault hook leaves alone, uniform in [min, max] ms. @default LINK_LATENCY_MS_MIN..MAX */
  latencyMs?: { min: number; max: number };
  /** Decides each message's fate. @default none: every message is delivered */
  faults?: FaultHook;
  /**
   * Keep `trace` (a line per message and fate). Off, nothing is formatted: a seed's run costs a
   * tenth less, and only a replay reads the trace. @default true
   */
  trace?: boolean;
}

/** The message of `certainlyNotSent` for a node that takes no more batches (see rpc's batch-stream.ts). */
const SHUTTING_DOWN = 'The node is shutting down';

/** A process's server on the network, at one address, from `serve` until it closes or its process dies. */
interface Listener {
  readonly owner: SimProcessNetwork;
  readonly address: string;
  readonly storage?: StorageNodeService;
  readonly gossip?: MembershipHandler;
  /** Graceful shutdown under way: calls that arrive now are refused. */
  closing: boolean;
  /** Calls it took and has not answered. */
  handling: number;
  onIdle?: () => void;
  /** Calls sent to it and not settled, failed at once (a connection reset) if its process dies. */
  readonly open: Set<(error: grpc.ServiceError) => void>;
}

/** One call's parameters, as a connection or a gossip transport makes it. */
export interface SimCall<Req, Rep> {
  caller: SimProcessNetwork;
  address: string;
  service: 'storage' | 'gossip';
  method: string;
  codec: WireCodec<Req, Rep>;
  request: Req;
  deadlineMs: number;
  /** A batch on a stream: FIFO with the stream's other batches, cancelled with it. */
  stream?: SimStream;
}

/**
 * The simulated network of a whole cluster in one process (issue 12). A call from one simulated
 * process to an address is delivered to the service object the process listening there passed to
 * `serve` — the same object the gRPC server would call — after a delay drawn from the network's
 * seeded randomness; its reply travels back the same way. The fault hook decides each message's
 * fate (drop, delay, duplicate, hold until the caller's deadline, refuse), and so makes partitions
 * of any shape and one-way links (see `LinkCuts`). Deadlines run on the caller's simulated clock.
 * Messages are serialized as gRPC would serialize them (see wire-codec.ts).
 *
 * Nothing here reads a real clock or timer, or does I/O: deliveries are events of the simulator
 * (`Simulator.schedule` on the network's own environment, at exact true times), so one seed and
 * one sequence of driver calls give the same run, message for message (`trace`).
 */
export class SimNetwork {
  readonly random: Prng;
  /** The wire's own events (deliveries), apart from every process's: no drift, never stopped. */
  private readonly wire: SimulatedEnvironment;
  private readonly listeners = new Map<string, Listener>();
  private faults: FaultHook | undefined;
  /** Hooks of scenarios beside the main one (a move's split, a router's catalog cut): asked first, in the order added. */
  private readonly extraFaults: FaultHook[] = [];
  private readonly latency: { min: number; max: number };
  private nextCallId = 1;
  private traceLines: string[] = [];
  private readonly tracing: boolean;
  /** Messages by fate, for reports. */
  readonly counts = new Map<string, number>();

  constructor(
    readonly simulator: Simulator,
    options: SimNetworkOptions = {},
  ) {
    this.random = new Prng(simulator.random.nextUint32());
    this.wire = simulator.environment({ name: 'network', seed: this.random.nextUint32() });
    this.latency = options.latencyMs ?? { min: LINK_LATENCY_MS_MIN, max: LINK_LATENCY_MS_MAX };
    this.faults = options.faults;
    this.tracing = options.trace ?? true;
  }

  /** A process's view of the network: what it passes to StorageNode.open (or the router's parts). */
  process(name: string, env: SimulatedEnvironment): SimProcessNetwork {
    return new SimProcessNetwork(this, name, env);
  }

  setFaults(hook: FaultHook | undefined): void {
    this.faults = hook;
  }

  /**
   * A hook asked before the one `setFaults` installs (the fault schedule's), so that a scenario
   * can shape faults of its own beside it; returns its removal.
   */
  addFaults(hook: FaultHook): () => void {
    this.extraFaults.push(hook);
    return () => {
      const at = this.extraFaults.indexOf(hook);
      if (at >= 0) this.extraFaults.splice(at, 1);
    };
  }

  /** The trace of every message and its fate, oldest first (the newest TRACE_LINES_MAX); empty unless `trace`. */
  get trace(): readonly string[] {
    return this.traceLines;
  }

  /** The process named in traces and fault hooks for an address: whoever serves it now, else the address. */
  nameOf(address: string): string {
    return this.listeners.get(address)?.owner.name ?? address;
  }

  /**
   * The process dies: its servers vanish at once, every call to them that is not settled fails
   * as a connection reset (UNAVAILABLE) once that reaches the caller, and calls it made itself
   * never settle. Its environment is the caller's to stop.
   */
  crash(process: SimProcessNetwork): void {
    process.dead = true;
    for (const [address, listener] of [...this.listeners]) {
      if (listener.owner !== process) continue;
      this.listeners.delete(address);
      this.note(`crash ${process.name} ${address}`);
      const error = statusError(grpc.status.UNAVAILABLE, `Connection dropped: ${address} went away (simulated)`);
      for (const fail of [...listener.open]) this.after(this.drawLatency(), () => fail(error));
      listener.open.clear();
    }
  }

  /** Starts serving at `address`; fails as a real bind would if another live process serves it. */
  listen(owner: SimProcessNetwork, address: string, services: { storage?: StorageNodeService; gossip?: MembershipHandler }): ServedNode {
    if (owner.dead) throw new Error(`${owner.name} is dead`);
    if (this.listeners.has(address)) throw new Error(`listen EADDRINUSE: address already in use ${address} (simulated)`);
    const listener: Listener = { owner, address, ...services, closing: false, handling: 0, open: new Set() };
    this.listeners.set(address, listener);
    this.note(`listen ${owner.name} ${address}`);
    return {
      port: Number(address.slice(address.lastIndexOf(':') + 1)) || 0,
      close: () =>
        new Promise<void>((resolve) => {
          listener.closing = true;
          const done = () => {
            if (this.listeners.get(address) === listener) this.listeners.delete(address);
            this.note(`closed ${owner.name} ${address}`);
            resolve();
          };
          if (listener.handling === 0) done();
          else listener.onIdle = done;
        }),
    };
  }

  /** Sends one call and settles with its reply or its failure (see the class comment). */
  call<Req, Rep>(c: SimCall<Req, Rep>): Promise<Rep> {
    const callId = this.nextCallId++;
    const listener = this.listeners.get(c.address);
    const to = listener?.owner.name ?? c.address;
    const label = this.tracing ? `#${callId} ${c.caller.name}->${to} ${c.method}` : '';
    const requestBytes = c.codec.encodeRequest(c.request);
    return new Promise<Rep>((resolve, reject) => {
      let settled = false;
      let deadline: TimerHandle | undefined;
      const settle = (outcome: string, apply: () => void) => {
        if (settled) return;
        settled = true;
        c.caller.env.clearTimeout(deadline);
        c.stream?.pending.delete(fail);
        listener?.open.delete(fail);
        // A dead process's calls never settle: nothing of it runs any more.
        if (c.caller.dead) return;
        if (this.tracing) this.note(`${label} ${outcome}`);
        apply();
      };
      const fail = (error: grpc.ServiceError) => settle(this.tracing ? `failed ${grpc.status[error.code]}: ${error.details}` : '', () => reject(error));
      deadline = c.caller.env.setTimeout(() => {
        settle('deadline', () => reject(statusError(grpc.status.DEADLINE_EXCEEDED, `Deadline exceeded after ${c.deadlineMs} ms (${c.method} to ${c.address}, simulated)`)));
        // As BatchStreamClient does: the stream is cancelled, and every other batch on it fails.
        c.stream?.cancel(`${c.method} cancelled after a batch exceeded its deadline (simulated)`);
      }, c.deadlineMs);
      c.stream?.pending.add(fail);
      const deadlineAtMs = this.simulator.nowMs + c.deadlineMs / c.caller.env.rate;

      if (!listener) {
        this.count('refused');
        this.after(this.drawLatency(), () => fail(statusError(grpc.status.UNAVAILABLE, `No connection established. Last error: connect ECONNREFUSED ${c.address} (simulated)`)));
        return;
      }
      listener.open.add(fail);
      const message: SimMessage = { callId, from: c.caller.name, to, address: c.address, service: c.service, method: c.method, direction: 'request', bytes: requestBytes.length, partitions: partitionsNamed(c.request) };
      const verdict = this.verdict(message);
      if (this.tracing) this.note(`${label} sent ${requestBytes.length}B ${describe(verdict)}`);

      const sendReply = (outcome: { bytes: Buffer } | { code: grpc.status; details: string }) => {
        // A process that died while handling the call sends nothing (its callers saw the reset).
        if (this.listeners.get(c.address) !== listener) return;
        const reply: SimMessage = { ...message, from: to, to: c.caller.name, direction: 'reply', bytes: 'bytes' in outcome ? outcome.bytes.length : 0 };
        const fate = this.verdict(reply);
        if (this.tracing) this.note(`${label} reply ${'bytes' in outcome ? `${outcome.bytes.length}B` : grpc.status[outcome.code]} ${describe(fate)}`);
        const arrive = () =>
          'bytes' in outcome
            ? settle('replied', () => resolve(c.codec.decodeReply(outcome.bytes)))
            : fail(statusError(outcome.code, outcome.details));
        switch (fate.kind) {
          case 'drop':
          case 'hold':
            // Nobody waits past the deadline: a held reply is as good as lost.
            return;
          case 'refuse':
            this.after(this.drawLatency(), () => fail(statusError(grpc.status.UNAVAILABLE, `Connection reset by ${c.address} (simulated)`)));
            return;
          case 'deliver':
          case 'duplicate':
            this.after(this.delayOf(fate), arrive, c.stream, 'reply');
        }
      };

      const arrive = () => {
        if (this.listeners.get(c.address) !== listener) {
          fail(statusError(grpc.status.UNAVAILABLE, `Connection dropped: ${c.address} went away (simulated)`));
          return;
        }
        if (listener.closing) {
          sendReply({ code: grpc.status.UNAVAILABLE, details: SHUTTING_DOWN });
          return;
        }
        listener.handling++;
        let handled: Promise<Rep>;
        try {
          handled = Promise.resolve(this.handle(listener, c, c.codec.decodeRequest(requestBytes)));
        } catch (error) {
          handled = Promise.reject(error);
        }
        handled
          .then(
            (reply) => sendReply({ bytes: c.codec.encodeReply(reply) }),
            (error: unknown) => sendReply(handlerStatus(error)),
          )
          .finally(() => {
            listener.handling--;
            if (listener.handling === 0) listener.onIdle?.();
          });
      };

      switch (verdict.kind) {
        case 'drop':
          return;
        case 'refuse':
          listener.open.delete(fail);
          this.after(this.drawLatency(), () => fail(statusError(grpc.status.UNAVAILABLE, `No connection established. Last error: connect ECONNREFUSED ${c.address} (fault injection, simulated)`)));
          return;
        case 'hold':
          this.at(Math.max(deadlineAtMs, this.simulator.nowMs) + this.drawLatency(), arrive, c.stream, 'request');
          return;
        case 'duplicate':
          this.after(this.delayOf(verdict), arrive, c.stream, 'request');
          this.after(verdict.secondDelayMs ?? this.drawLatency(), arrive, c.stream, 'request');
          return;
        case 'deliver':
          this.after(this.delayOf(verdict), arrive, c.stream, 'request');
      }
    });
  }

  private handle<Req, Rep>(listener: Listener, c: SimCall<Req, Rep>, request: Req): Promise<Rep> | Rep {
    if (c.service === 'gossip') {
      if (!listener.gossip) throw Object.assign(new Error('unknown service triad.membership.v1.Membership'), { grpcCode: grpc.status.UNIMPLEMENTED });
      return listener.gossip.handleGossip(request as unknown as SwimMessage, c.caller.gossipAddress ?? c.caller.name) as Rep;
    }
    const service = listener.storage as unknown as Record<string, (request: Req) => Promise<Rep>> | undefined;
    if (!service) throw Object.assign(new Error('unknown service triad.storage.v1.StorageNode'), { grpcCode: grpc.status.UNIMPLEMENTED });
    return service[c.method].call(service, request);
  }

  private verdict(message: SimMessage): LinkVerdict {
    const random = () => this.random.next();
    let verdict: LinkVerdict | undefined;
    for (const hook of this.extraFaults) if ((verdict = hook(message, random))) break;
    verdict ??= this.faults?.(message, random) ?? { kind: 'deliver' };
    this.count(`${message.direction} ${verdict.kind}`);
    return verdict;
  }

  private delayOf(verdict: { delayMs?: number }): number {
    return verdict.delayMs ?? this.drawLatency();
  }

  private drawLatency(): number {
    return this.random.real(this.latency.min, this.latency.max);
  }

  /** Runs `run` on the wire `delayMs` from now; on a stream, no sooner than the stream's last message that way. */
  private after(delayMs: number, run: () => void, stream?: SimStream, direction?: 'request' | 'reply'): void {
    this.at(this.simulator.nowMs + delayMs, run, stream, direction);
  }

  private at(atMs: number, run: () => void, stream?: SimStream, direction?: 'request' | 'reply'): void {
    let when = atMs;
    if (stream && direction === 'request') when = stream.lastRequestAtMs = Math.max(when, stream.lastRequestAtMs);
    if (stream && direction === 'reply') when = stream.lastReplyAtMs = Math.max(when, stream.lastReplyAtMs);
    this.simulator.schedule(this.wire, when, run);
  }

  private count(fate: string): void {
    this.counts.set(fate, (this.counts.get(fate) ?? 0) + 1);
  }

  private note(line: string): void {
    if (!this.tracing) return;
    this.traceLines.push(`${this.simulator.nowMs.toFixed(3)} ${line}`);
    if (this.traceLines.length > TRACE_LINES_MAX) this.traceLines = this.traceLines.slice(-Math.floor(TRACE_LINES_MAX / 2));
  }
}

/** The partitions a storage request names (see `SimMessage.partitions`). */
export function partitionsNamed(request: unknown): number[] {
  if (typeof request !== 'object' || request === null) return [];
  const r = request as { partition?: unknown; ops?: { partition?: unknown }[]; keys?: { partition?: unknown }[]; ranges?: { partition?: unknown }[]; records?: { partition?: unknown }[] };
  const found = new Set<number>();
  if (typeof r.partition === 'number') found.add(r.partition);
  for (const list of [r.ops, r.keys, r.ranges, r.records]) {
    if (!Array.isArray(list)) continue;
    for (const part of list) if (typeof part?.partition === 'number') found.add(part.partition);
  }
  return [...found];
}

function describe(verdict: LinkVerdict): string {
  return verdict.kind === 'deliver' && verdict.delayMs === undefined ? '' : `[${verdict.kind}${'delayMs' in verdict && verdict.delayMs !== undefined ? ` ${verdict.delayMs}ms` : ''}]`;
}

/**
 * One simulated process's network: a `StorageNodeNetwork` for `StorageNode.open`, and the
 * connector and gossip transport a router's parts take. `SimNetwork.crash` kills it.
 */
export class SimProcessNetwork implements StorageNodeNetwork {
  dead = false;
  /** The address its gossip says it is at (set by `membership`). */
  gossipAddress?: string;
  readonly storage: StorageConnector;

  constructor(
    readonly network: SimNetwork,
    readonly name: string,
    readonly env: SimulatedEnvironment,
  ) {
    this.storage = { connect: (address, deadlines) => new SimStorageConnection(this, address, deadlines) };
  }

  membership(selfAddress: string): MembershipTransport {
    this.gossipAddress = selfAddress;
    let closed = false;
    return {
      send: (toAddress, message, deadlineMs) =>
        closed
          ? Promise.reject(new Error('membership transport is closed'))
          : this.network.call({ caller: this, address: toAddress, service: 'gossip', method: 'gossip', codec: gossipCodec, request: message, deadlineMs }),
      close: () => {
        closed = true;
      },
    };
  }

  async serve(listen: string, storage: StorageNodeService, gossip: MembershipHandler): Promise<ServedNode> {
    return this.network.listen(this, listen, { storage, gossip });
  }

  /** A server with the membership service only (a router's gossip port). */
  serveGossip(listen: string, gossip: MembershipHandler): ServedNode {
    return this.network.listen(this, listen, { gossip });
  }

  /** A storage call (the connections' one way out). */
  callStorage<Req, Rep>(address: string, method: string, request: Req, deadlineMs: number, stream?: SimStream): Promise<Rep> {
    return this.network.call({ caller: this, address, service: 'storage', method, codec: storageCodec(method) as WireCodec<Req, Rep>, request, deadlineMs, stream });
  }
}
