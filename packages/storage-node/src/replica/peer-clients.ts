import { Batcher, type ReplicatedRecord, type StorageConnector, type StorageNodeConnection } from '@triad/rpc';
import type { StorageNodeInfo } from '@triad/ring';
import type { Environment } from '@triad/runtime';

/** Records sent to one follower in one Replicate message, at most. */
const REPLICATE_BATCH_RECORDS_MAX = 1024;
/** Replicate messages outstanding per follower. */
const REPLICATE_IN_FLIGHT_MAX = 4;
/** A follower that has not answered within this is treated as unreachable for that batch. */
const REPLICATE_DEADLINE_MS = 5_000;

/** A follower refused a leader's records: it has seen a newer term, so this node is no longer leader. */
export class StaleTermError extends Error {
  constructor(readonly follower: string) {
    super(`follower ${follower} has a newer term`);
  }
}

/**
 * A peer refused a record delivered outside the log (a global index entry): its layout does not
 * give it the record's partition (it has not learned of a move to it yet, or it has left the
 * partition). It is up and applied nothing, so the record is not delivered there, and a hint would
 * be refused the same way: the sender retries later, by when one of the two layouts has moved on.
 */
export class DeliveryRefusedError extends Error {
  constructor(
    readonly peer: string,
    readonly partition: number,
  ) {
    super(`${peer} refused a record of partition ${partition}: its layout does not give it the partition`);
  }
}

/** One connection and one replication batcher per peer storage node, created on first use. */
export class PeerClients {
  private readonly clients = new Map<string, StorageNodeConnection>();
  /** Per record: whether the follower accepted it (false: it knows a newer term). */
  private readonly replicators = new Map<string, Batcher<ReplicatedRecord, boolean>>();
  /**
   * Records that are not a leader's writes of the peer's partition (global index entries), per
   * record: whether the peer accepted it (false: its layout does not give it the partition).
   */
  private readonly deliverers = new Map<string, Batcher<ReplicatedRecord, boolean>>();

  /**
   * `selfId`: this node's id, sent with a leader's records so that followers know who sends them.
   * `env` defers the batchers' flushes; `connector` opens the connections (gRPC in production).
   */
  constructor(
    private readonly selfId: string,
    private readonly env: Environment,
    readonly connector: StorageConnector,
  ) {}

  client(peer: StorageNodeInfo): StorageNodeConnection {
    let client = this.clients.get(peer.id);
    if (!client) {
      client = this.connector.connect(peer.address, { deadlineMs: REPLICATE_DEADLINE_MS });
      this.clients.set(peer.id, client);
    }
    return client;
  }

  /** Resolves once the peer has the record durably (or a newer version of the key). */
  async replicate(peer: StorageNodeInfo, record: ReplicatedRecord): Promise<void> {
    let batcher = this.replicators.get(peer.id);
    if (!batcher) {
      const client = this.client(peer);
      batcher = new Batcher<ReplicatedRecord, boolean>(
        async (records) => {
          const reply = await client.replicateOnStream({ records, fromLeader: true, from: this.selfId });
          // One batch carries many partitions: a refusal concerns only the records it names.
          const refused = new Set(reply.refusedIndexes ?? []);
          return records.map((_, i) => !refused.has(i));
        },
        { batchSizeMax: REPLICATE_BATCH_RECORDS_MAX, inFlightMax: REPLICATE_IN_FLIGHT_MAX, defer: this.env.defer },
      );
      this.replicators.set(peer.id, batcher);
    }
    if (!(await batcher.submit(record))) throw new StaleTermError(peer.id);
  }

  /**
   * Resolves once the peer has the record durably (or a newer version of the key). Not a leader's
   * write: the peer applies it whatever term it knows, like a hint or a repair. Rejects with
   * `DeliveryRefusedError` when the peer refused it (it applied nothing).
   */
  async deliver(peer: StorageNodeInfo, record: ReplicatedRecord): Promise<void> {
    let batcher = this.deliverers.get(peer.id);
    if (!batcher) {
      const client = this.client(peer);
      batcher = new Batcher<ReplicatedRecord, boolean>(
        async (records) => {
          const reply = await client.replicateOnStream({ records, fromLeader: false, from: this.selfId });
          // One batch carries many partitions: a refusal concerns only the records it names.
          const refused = new Set(reply.refusedIndexes ?? []);
          return records.map((_, i) => !refused.has(i));
        },
        { batchSizeMax: REPLICATE_BATCH_RECORDS_MAX, inFlightMax: REPLICATE_IN_FLIGHT_MAX, defer: this.env.defer },
      );
      this.deliverers.set(peer.id, batcher);
    }
    if (!(await batcher.submit(record))) throw new DeliveryRefusedError(peer.id, record.partition);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
