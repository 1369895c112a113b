import { Batcher, StorageNodeClient, type ReplicatedRecord } from '@triad/rpc';
import type { StorageNodeInfo } from '@triad/ring';

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

/** One gRPC client and one replication batcher per peer storage node, created on first use. */
export class PeerClients {
  private readonly clients = new Map<string, StorageNodeClient>();
  private readonly replicators = new Map<string, Batcher<ReplicatedRecord, void>>();

  /** `selfId`: this node's id, sent with a leader's records so that followers know who sends them. */
  constructor(private readonly selfId: string) {}

  client(peer: StorageNodeInfo): StorageNodeClient {
    let client = this.clients.get(peer.id);
    if (!client) {
      client = new StorageNodeClient(peer.address, REPLICATE_DEADLINE_MS);
      this.clients.set(peer.id, client);
    }
    return client;
  }

  /** Resolves once the peer has the record durably (or a newer version of the key). */
  replicate(peer: StorageNodeInfo, record: ReplicatedRecord): Promise<void> {
    let batcher = this.replicators.get(peer.id);
    if (!batcher) {
      const client = this.client(peer);
      batcher = new Batcher<ReplicatedRecord, void>(
        async (records) => {
          const reply = await client.replicate({ records, fromLeader: true, from: this.selfId });
          if (reply.refused > 0) throw new StaleTermError(peer.id);
          return new Array(records.length);
        },
        { batchSizeMax: REPLICATE_BATCH_RECORDS_MAX, inFlightMax: REPLICATE_IN_FLIGHT_MAX },
      );
      this.replicators.set(peer.id, batcher);
    }
    return batcher.submit(record);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
