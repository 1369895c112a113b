import { ServiceUnavailableException } from '@triad/model';
import { partitionOfKey, type Placement, type StorageNodeInfo } from '@triad/ring';
import {
  Batcher,
  NOT_LEADER,
  UNSAFE_FOLLOWER_READS,
  certainlyNotSent,
  faultGate,
  
  isUnreachable,
  type ItemOp,
  type OpResult,
  type PartitionRange,
  type RangeReply,
  type ReadKey,
  type ReadResult,
  type StorageConnector,
  type StorageNodeConnection,
} from '@triad/rpc';
import type { Logger } from '@triad/observability';
import { sleep, type Environment } from '@triad/runtime';
import { NodeHealth } from './node-health';
import { RepliesExhaustedError, hedgedRequest, type HedgeOptions } from './hedged-request';
import { countPrefixesOnce, type CensusResult } from './prefix-census';
import type { RangeOptions, StorageClient } from './storage-client';

/** A request keeps trying other replicas (across node failures) for this long before a retriable error. */
export const REQUEST_DEADLINE_MS = 10_000;
/**
 * One read call (a point-read batch, a range) to a storage node may take this long. Reads do not
 * wait this long for a stalled node: they ask another replica after a hedge delay
 * (EVENTUAL_READ_HEDGE_MS, STRONG_READ_HEDGE_MS). Kept well above a busy machine's slow turns,
 * since a batch that expires cancels every read batch on its node's stream.
 */
const CALL_DEADLINE_MS = 5_000;
/**
 * Item operations get longer: a leader answers a write within 4 s (applied, not applied, or
 * unknown), and a write whose call times out here has an unknown outcome the router cannot retry.
 */
const EXECUTE_CALL_DEADLINE_MS = 5_000;
/** Item operations per Execute message, and Execute messages outstanding per node. */
const EXECUTE_BATCH_OPS_MAX = 512;
const EXECUTE_IN_FLIGHT_MAX = 4;
/**
 * Keys per Read message, and Read messages outstanding per node. Reads travel as messages on one
 * stream per node (see rpc/batch-stream.ts), cheap enough that a batch need not wait for another to return.
 */
const READ_BATCH_KEYS_MAX = 512;
const READ_IN_FLIGHT_MAX = 4;
/** Pause before another round when every replica of a partition looks down. */
const ALL_DOWN_RETRY_MS = 100;
/**
 * An eventually consistent read asks the next replica once the one asked has not answered for
 * this long (and at once when it fails), so that a stalled replica delays a read by this much
 * rather than by its call deadline. A read answers in about a millisecond when the machine is
 * idle; this leaves room for a loaded node's slow turn before a duplicate read adds to its load.
 */
export const EVENTUAL_READ_HEDGE_MS = 300;
const EVENTUAL_READ: HedgeOptions = { hedgeAfterMs: EVENTUAL_READ_HEDGE_MS, deadlineMs: REQUEST_DEADLINE_MS, roundPauseMs: ALL_DOWN_RETRY_MS };
/**
 * A strongly consistent read asks the other replicas too (one may lead by now) once the replica
 * asked has not answered for this long: a paused leader loses its lease and is replaced within an
 * election timeout (1.5-3 s), so waiting longer for it only delays the read. Longer than for
 * eventual reads: only the leader can serve, and asking a follower that still knows it as leader
 * just sends the read back to it.
 */
export const STRONG_READ_HEDGE_MS = 2_000;
const STRONG_READ: HedgeOptions = { hedgeAfterMs: STRONG_READ_HEDGE_MS, deadlineMs: REQUEST_DEADLINE_MS, roundPauseMs: ALL_DOWN_RETRY_MS };

interface NodeChannel {
  client: StorageNodeConnection;
  execute: Batcher<ItemOp, OpResult>;
  read: Batcher<ReadKey, ReadResult>;
}

class NotLeaderError extends Error {
  constructor(readonly leaderHint: string | undefined) {
    super(`not the leader; leader hint ${leaderHint ?? 'none'}`);
  }
}

/**
 * Reaches storage nodes through a `StorageConnector`: gRPC in production (hence the name), the
 * simulator's in-memory network in simulation. Writes and strong reads go to a partition's leader, which for
 * now is the first replica of its set that answers; eventual reads prefer a replica in the router's
 * own zone. Many operations to one node share one message.
 */
export class GrpcStorageClient implements StorageClient {
  private readonly channels = new Map<string, NodeChannel>();
  /** The leader each partition last had, as storage nodes told us. */
  private readonly leaders = new Map<number, string>();
  /**
   * Each partition's replicas with the router's own zone first, and the replica set they were
   * ordered from: a new layout has new replica-set arrays, which are ordered again when first read.
   */
  private readonly zoneOrder = new Map<number, { replicas: readonly StorageNodeInfo[]; ordered: readonly StorageNodeInfo[] }>();
  /** Called when a storage node answers as if this router's layout were old (it no longer holds a partition). */
  onStaleLayout: () => void = () => undefined;

  constructor(
    /** The router's current layout: it follows joins and decommissions (see LayoutFollower). */
    private readonly ring: Placement,
    private readonly zone: string,
    private readonly health: NodeHealth,
    private readonly log: Logger,
    /** Clocks and timers of the retries, the hedges and the channels' batches. */
    private readonly env: Environment,
    /** Opens the connections to storage nodes: `grpcStorageConnector` with the cluster's TLS, or the simulator's. */
    private readonly connector: StorageConnector,
  ) {}

  get partitionCount(): number {
    return this.ring.partitionCount;
  }

  get systemPartition(): number {
    return this.ring.systemPartition;
  }

  partitionOf(encodedPartitionKey: Uint8Array): number {
    return partitionOfKey(encodedPartitionKey, this.ring.partitionCount);
  }

  close(): void {
    for (const channel of this.channels.values()) channel.client.close();
  }

  private channel(node: StorageNodeInfo): NodeChannel {
    let channel = this.channels.get(node.id);
    if (!channel) {
      const client = this.connector.connect(node.address, { deadlineMs: CALL_DEADLINE_MS, executeDeadlineMs: EXECUTE_CALL_DEADLINE_MS });
      channel = {
        client,
        execute: new Batcher(async (ops) => (await client.execute({ ops })).results, {
          batchSizeMax: EXECUTE_BATCH_OPS_MAX,
          inFlightMax: EXECUTE_IN_FLIGHT_MAX,
          defer: this.env.defer,
        }),
        read: new Batcher(async (keys) => (await client.read({ keys })).results, {
          batchSizeMax: READ_BATCH_KEYS_MAX,
          inFlightMax: READ_IN_FLIGHT_MAX,
          defer: this.env.defer,
        }),
      };
      this.channels.set(node.id, channel);
    }
    return channel;
  }

  /** Replicas of a partition in the order to try them for a strongly consistent operation: the known leader first. */
  private leaderOrder(partition: number): readonly StorageNodeInfo[] {
    const ordered = this.health.order(this.ring.replicaSet(partition));
    const leader = this.leaders.get(partition);
    const known = leader ? ordered.find((n) => n.id === leader && this.health.isUp(n)) : undefined;
    return known ? [known, ...ordered.filter((n) => n !== known)] : ordered;
  }

  /** Strong operations go to the leader, except in the unsafe test mode, where any replica serves reads. */
  private strongOrder(partition: number, isRead: boolean): readonly StorageNodeInfo[] {
    return UNSAFE_FOLLOWER_READS && isRead ? this.nearestOrder(partition) : this.leaderOrder(partition);
  }

  /** Learns the leader a storage node named when it refused (or confirms the one that served). */
  private noteLeader(partition: number, nodeId: string | undefined): void {
    if (nodeId) this.leaders.set(partition, nodeId);
    else this.leaders.delete(partition);
  }

  /** Replicas in the order to try them for an eventually consistent read: responsive ones, own zone first. */
  private nearestOrder(partition: number): readonly StorageNodeInfo[] {
    const replicas = this.ring.replicaSet(partition);
    let cached = this.zoneOrder.get(partition);
    if (cached?.replicas !== replicas) {
      const local = replicas.filter((n) => n.zone === this.zone);
      cached = { replicas, ordered: [...local, ...replicas.filter((n) => n.zone !== this.zone)] };
      this.zoneOrder.set(partition, cached);
    }
    return this.health.readOrder(cached.ordered);
  }

  /** Test-only fault point (rpc/fault-gate.ts): this router is cut off from the partition. */
  private refuseIfCutOff(partition: number): void {
    if (faultGate.isPartitionBlocked(partition)) {
      throw new ServiceUnavailableException(`Partition ${partition} is cut off from this router (fault injection); retry the request`);
    }
  }

  /**
   * An eventually consistent read: any replica of the partition may answer, so replicas are asked
   * in turn (own zone first), the next as soon as one fails or is slow to answer (see
   * hedged-request.ts); with no replica answering by the request deadline, a retriable error.
   */
  private async eventualRead<T>(partition: number, call: (node: StorageNodeInfo) => Promise<T>): Promise<T> {
    this.refuseIfCutOff(partition);
    try {
      return await hedgedRequest(
        () => this.nearestOrder(partition),
        async (node) => {
          const started = this.env.monotonicMs();
          const value = await call(node);
          if (this.env.monotonicMs() - started < EVENTUAL_READ_HEDGE_MS) this.health.markResponsive(node);
          return value;
        },
        {
          retriable: (error, node) => {
            if (error instanceof NotLeaderError) {
              // The partition moved away from that node: another replica answers (and our layout is old).
              this.onStaleLayout();
              return true;
            }
            if (isUnreachable(error)) {
              this.health.markDown(node);
              this.log.warn('storage node unreachable', { target: node.id, error: String(error) });
              return true;
            }
            // Any other failure of one replica (a node shutting down, an error of its disk) says
            // nothing of the others: they are asked. Errors of the router's own making are answers.
            if (typeof (error as { code?: unknown }).code !== 'number') return false;
            this.log.warn('an eventually consistent read failed at a replica; asking another', { target: node.id, error: String(error) });
            return true;
          },
          onSlow: (node) => this.health.markSlow(node),
          usable: (node) => this.health.isUp(node),
        },
        EVENTUAL_READ,
        this.env,
      );
    } catch (error) {
      if (!(error instanceof RepliesExhaustedError)) throw error;
      this.log.error('no replica answered an eventually consistent read within the deadline', { partition, error: String(error.lastError) });
      throw new ServiceUnavailableException('No replica of the partition answered; retry the request');
    }
  }

  /**
   * A strongly consistent read (GetItem through Execute, or a range): only the partition's leader
   * serves it, so the known leader is asked first; a replica that does not lead names the leader it
   * knows, which later rounds ask first. A leader that does not answer in time is not waited for:
   * the others are asked too (see hedged-request.ts). During an election, rounds repeat after a
   * short pause; with no leader by the request deadline, a retriable error.
   */
  private async strongRead<T>(partition: number, call: (node: StorageNodeInfo) => Promise<T>): Promise<T> {
    this.refuseIfCutOff(partition);
    try {
      return await hedgedRequest(
        () => this.strongOrder(partition, true),
        call,
        {
          retriable: (error, node) => {
            if (error instanceof NotLeaderError) {
              this.noteLeader(partition, error.leaderHint);
              // No hint, or one outside the replica set we know: the partition may have moved.
              if (!this.ring.replicaSet(partition).some((n) => n.id === error.leaderHint)) this.onStaleLayout();
              return true;
            }
            if (!isUnreachable(error)) return false;
            this.health.markDown(node);
            this.log.warn('storage node unreachable', { target: node.id, error: String(error) });
            return true;
          },
          usable: (node) => this.health.isUp(node),
        },
        STRONG_READ,
        this.env,
      );
    } catch (error) {
      if (!(error instanceof RepliesExhaustedError)) throw error;
      this.log.error('no replica answered within the deadline', { partition, error: String(error.lastError) });
      throw new ServiceUnavailableException('No replica of the partition answered; retry the request');
    }
  }

  /**
   * A write goes to the partition's leader, tried in order until one takes it, within the request
   * deadline. A node that does not lead the partition (NotLeaderError) sends the write on to the
   * leader it names, or to the next replica; during an election, when no replica leads yet, rounds
   * repeat after a short pause. A write is sent again only when it certainly never arrived: after
   * any other failure its outcome is unknown, and the answer is a retriable error.
   */
  private async writeWithFailover<T>(partition: number, order: () => readonly StorageNodeInfo[], call: (node: StorageNodeInfo) => Promise<T>): Promise<T> {
    this.refuseIfCutOff(partition);
    const deadline = this.env.monotonicMs() + REQUEST_DEADLINE_MS;
    let lastError: unknown;
    while (this.env.monotonicMs() < deadline) {
      let candidates = order();
      const tried = new Set<string>();
      for (let i = 0; i < candidates.length; i++) {
        const node = candidates[i];
        if (tried.has(node.id) || (!this.health.isUp(node) && i > 0)) continue;
        tried.add(node.id);
        try {
          return await call(node);
        } catch (error) {
          if (error instanceof NotLeaderError) {
            lastError = error;
            this.noteLeader(partition, error.leaderHint);
            const hinted = this.ring.replicaSet(partition).find((n) => n.id === error.leaderHint);
            // No hint, or one outside the replica set we know: the partition may have moved.
            if (!hinted) this.onStaleLayout();
            // (A copy: the order may be shared, see NodeHealth.order.)
            if (hinted && !tried.has(hinted.id) && this.health.isUp(hinted)) candidates = [...candidates.slice(0, i + 1), hinted, ...candidates.slice(i + 1)];
            continue;
          }
          if (!isUnreachable(error)) throw error;
          lastError = error;
          this.health.markDown(node);
          if (!certainlyNotSent(error)) {
            this.log.warn('write outcome unknown after a storage node failed', { target: node.id, error: String(error) });
            throw new ServiceUnavailableException('The request could not be confirmed; retry the request');
          }
          this.log.warn('storage node unreachable', { target: node.id, error: String(error) });
        }
      }
      await sleep(this.env, ALL_DOWN_RETRY_MS);
    }
    this.log.error('no replica answered within the deadline', { error: String(lastError) });
    throw new ServiceUnavailableException('No replica of the partition answered; retry the request');
  }

  execute(op: ItemOp): Promise<OpResult> {
    const call = async (node: StorageNodeInfo) => {
      const result = await this.channel(node).execute.submit(op);
      if (result.errorName === NOT_LEADER) throw new NotLeaderError(result.errorMessage || undefined);
      this.noteLeader(op.partition, node.id);
      return result;
    };
    return op.kind === 'OP_KIND_GET'
      ? this.strongRead(op.partition, call)
      : this.writeWithFailover(op.partition, () => this.strongOrder(op.partition, false), call);
  }

  async readEventual(partition: number, key: Buffer): Promise<Buffer | undefined> {
    const result = await this.eventualRead(partition, async (node) => {
      const result = await this.channel(node).read.submit({ partition, key });
      if (result.notHeld) throw new NotLeaderError(undefined);
      return result;
    });
    return result.found ? result.item : undefined;
  }

  async readRange(ranges: PartitionRange[], options: RangeOptions): Promise<RangeReply> {
    const items: RangeReply['items'] = [];
    let bytes = 0;
    let next = 0;
    // After a refusal of several ranges, one range at a time: the leader hint names the leader of
    // the first range the node does not lead, which need not be the first range sent.
    let single = false;
    /** Sends the ranges from `next` on that `node` can serve in one request; how many it sent, and the reply. */
    const readAt = async (node: StorageNodeInfo, served: (range: PartitionRange) => boolean): Promise<{ count: number; reply: RangeReply }> => {
      let count = 1;
      while (!single && next + count < ranges.length && served(ranges[next + count])) count++;
      try {
        const reply = await this.channel(node).client.readRange({
          ranges: ranges.slice(next, next + count),
          reverse: options.reverse,
          limit: options.limit > 0 ? options.limit - items.length : 0,
          byteLimit: options.byteLimit > 0 ? Math.max(1, options.byteLimit - bytes) : 0,
          consistent: options.consistent,
        });
        return { count, reply };
      } catch (error) {
        const details = (error as { details?: string }).details ?? '';
        if (details.startsWith(`${NOT_LEADER}:`)) {
          const hint = details.slice(NOT_LEADER.length + 1) || undefined;
          if (count > 1) {
            single = true;
            throw new NotLeaderError(undefined);
          }
          throw new NotLeaderError(hint);
        }
        throw error;
      }
    };
    while (next < ranges.length) {
      const partition = ranges[next].partition;
      const { count, reply } = options.consistent
        ? await this.strongRead(partition, (node) => readAt(node, (range) => this.strongOrder(range.partition, true)[0].id === node.id))
        : await this.eventualRead(partition, (node) =>
            readAt(node, (range) => this.ring.replicaSet(range.partition).some((n) => n.id === node.id)),
          );
      for (const item of reply.items) {
        items.push(item);
        bytes += item.sizeBytes;
      }
      if (!reply.exhausted) return { items, exhausted: false };
      next += count;
    }
    return { items, exhausted: true };
  }

  /** Each data partition is counted by one replica: the leader this router knows, else the first that answers. */
  prefixStats(prefixes: Buffer[]): Promise<CensusResult> {
    const partitions = Array.from({ length: this.ring.partitionCount }, (_, p) => p);
    return countPrefixesOnce(partitions, prefixes.length, {
      candidatesOf: (partition) => this.leaderOrder(partition).map((n) => n.id),
      ask: (nodeId, asked) => {
        const node = this.ring.node(nodeId);
        if (!node) return Promise.reject(new Error(`${nodeId} left the layout`));
        return this.channel(node).client.prefixStats({ prefixes, partitions: asked });
      },
      onFailure: (nodeId, error) => this.log.warn('a storage node could not count table statistics; asking other replicas', { target: nodeId, error: String(error) }),
    });
  }

  async dropTable(tableId: Buffer): Promise<void> {
    await Promise.all(
      this.ring.nodes.map((node) =>
        this.channel(node).client.dropTable({ tableId }).catch((error: unknown) => {
          this.log.warn('could not drop table data on a node', { target: node.id, error: String(error) });
        }),
      ),
    );
  }
}
