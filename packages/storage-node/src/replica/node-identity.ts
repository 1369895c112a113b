import { sleep, type Environment } from '@triad/runtime';
import type { StorageEngine } from '../storage/storage-engine';
import { prefixEnd } from '../storage/storage-keys';

/** This node's identity, written with its data: `I` → {"nodeId", "generation"}. */
const IDENTITY_KEY = Buffer.from([0x49]); // 'I'
/** The generation each peer was last seen with: [PEER_GENERATION_PREFIX][peer id] → u32. */
const PEER_GENERATION_PREFIX = 0x47; // 'G'
/** Partitions this node replicates as a learner until its promotion commits: [LEARNER_PREFIX][partition u16]. */
const LEARNER_PREFIX = 0x50; // 'P'

function learnerKey(partition: number): Buffer {
  const key = Buffer.allocUnsafe(3);
  key.writeUInt8(LEARNER_PREFIX, 0);
  key.writeUInt16BE(partition, 1);
  return key;
}

export interface NodeIdentity {
  nodeId: string;
  /** 1 for a node's first data directory; one more each time it starts over with its data lost. */
  generation: number;
}

/**
 * What this node knows of identities: its own (durable with its data, so a wiped or foreign data
 * directory shows as missing or different) and the generation each peer was last seen with (so a
 * peer that lost its data can be told it had one).
 */
export class IdentityStore {
  private readonly peers = new Map<string, number>();

  constructor(private readonly store: StorageEngine) {}

  async load(): Promise<NodeIdentity | undefined> {
    const prefix = Buffer.from([PEER_GENERATION_PREFIX]);
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key, value) => {
      this.peers.set(key.subarray(1).toString('utf8'), value.readUInt32BE(0));
      return true;
    });
    const raw = await this.store.get(IDENTITY_KEY);
    return raw ? (JSON.parse(raw.toString('utf8')) as NodeIdentity) : undefined;
  }

  /** Resolves once durable. */
  async save(identity: NodeIdentity): Promise<void> {
    await this.store.write({ type: 'put', key: IDENTITY_KEY, value: Buffer.from(JSON.stringify(identity)) });
  }

  knownGenerationOf(peer: string): number {
    return this.peers.get(peer) ?? 0;
  }

  /**
   * The partitions this node is still a learner of: durable, so that a learner restarted before its
   * promotion (its identity now on disk) does not come back as a voter with half a log.
   */
  async learnerPartitions(): Promise<Set<number>> {
    const partitions = new Set<number>();
    const prefix = Buffer.from([LEARNER_PREFIX]);
    await this.store.forEach({ gte: prefix, lt: prefixEnd(prefix) }, (key) => {
      partitions.add(key.readUInt16BE(1));
      return true;
    });
    return partitions;
  }

  /** Resolves once durable: these partitions are replicated as a learner from now on. */
  async markLearner(partitions: Iterable<number>): Promise<void> {
    await Promise.all([...partitions].map((p) => this.store.write({ type: 'put', key: learnerKey(p), value: Buffer.alloc(0) })));
  }

  /** The partition's promotion to voter was applied here (or the node left or joined it by a move). */
  promoted(partition: number): Promise<void> {
    return this.store.write({ type: 'del', key: learnerKey(partition) });
  }

  /** A packet from `peer` carried `generation`: remember the newest. */
  sawPeer(peer: string, generation: number): void {
    if (!(generation > (this.peers.get(peer) ?? 0))) return;
    this.peers.set(peer, generation);
    const value = Buffer.allocUnsafe(4);
    value.writeUInt32BE(generation, 0);
    void this.store.write({ type: 'put', key: Buffer.concat([Buffer.from([PEER_GENERATION_PREFIX]), Buffer.from(peer, 'utf8')]), value });
  }
}

/**
 * Decides this start's identity. A data directory with this node's identity keeps it. One without
 * (empty, or another node's) is a new generation: if any peer saw an earlier one, the node lost
 * its data, and replicates every partition as a learner (no vote) until it has caught up.
 */
export function decideIdentity(
  nodeId: string,
  stored: NodeIdentity | undefined,
  peerKnowledge: readonly number[],
): { identity: NodeIdentity; learner: boolean } {
  if (stored && stored.nodeId === nodeId) return { identity: stored, learner: false };
  const known = Math.max(0, ...peerKnowledge, stored && stored.nodeId === nodeId ? stored.generation : 0);
  return { identity: { nodeId, generation: known + 1 }, learner: known > 0 };
}

/** How often a node without data asks its peers again while none of them answers. */
export const IDENTITY_ASK_RETRY_MS = 250;
/** How long a node without data waits for a first answer before it says in its log why it is not ready. */
export const IDENTITY_ASK_WARN_AFTER_MS = 5_000;

/**
 * What the peers know of this node's generation (0: never saw it), from the first round of asks
 * that any peer answers; empty only when the layout names no other node. Silence is not an answer:
 * a node whose peers are down or cut off cannot tell a first start from a lost disk, and deciding
 * "first start" would bring a wiped replica back as a voter with an empty log, which with a lagging
 * replica's vote elects a leader without the committed entries (seed 58 of the simulator). So it
 * keeps asking, for as long as it takes; its server answers pings meanwhile, so nodes of a new
 * cluster started together answer one another.
 */
export async function askPeersOurGeneration(
  others: readonly string[],
  ping: (peer: string) => Promise<number>,
  env: Environment,
  onSilence: (waitedMs: number) => void,
): Promise<number[]> {
  if (others.length === 0) return [];
  const startedMs = env.monotonicMs();
  let warned = false;
  for (;;) {
    const answers = await Promise.allSettled(others.map((peer) => ping(peer)));
    const known = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (known.length > 0) return known;
    const waitedMs = env.monotonicMs() - startedMs;
    if (!warned && waitedMs >= IDENTITY_ASK_WARN_AFTER_MS) {
      warned = true;
      onSilence(waitedMs);
    }
    await sleep(env, IDENTITY_ASK_RETRY_MS);
  }
}
