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
    await this.store.writeAll([...partitions].map((p) => ({ type: 'put' as const, key: learnerKey(p), value: Buffer.alloc(0) })), true);
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

/** How often a node without data asks its peers again while it cannot decide yet. */
export const IDENTITY_ASK_RETRY_MS = 250;
/** How long a node without data waits for a decision before it says in its log why it is not ready. */
export const IDENTITY_ASK_WARN_AFTER_MS = 5_000;

/** One peer's answer to "which generation of me did you see?" (a ping). */
export interface IdentityAnswer {
  /** The generation of the asker this peer last saw, 0 if none. */
  knownGeneration: number;
  /** The epoch of the layout this peer follows now (0 from a peer too old to say). */
  layoutEpoch: number;
}

/** What a node without data knows of the layout: the newest it learned, and the nodes of older ones. */
export interface IdentityLayout {
  /** The newest layout's epoch. */
  epoch: number;
  /** The newest layout's storage nodes. */
  nodes: readonly string[];
  /** Storage nodes of the older layouts it learned (its layout file's) that the newest no longer names. */
  formerNodes?: readonly string[];
}

/** What a node without data can conclude from the answers it has so far. */
export type IdentityVerdict =
  /** A peer saw an earlier generation: the node lost its data (a learner under the next generation). */
  | { kind: 'lost'; knownGeneration: number }
  /** Proven new: it never took part in an election (generation 1, a voter). */
  | { kind: 'new' }
  /** A peer follows a newer layout: ask that layout's nodes (the answers so far are kept). */
  | { kind: 'newer-layout'; from: string; epoch: number }
  /** Not yet: these nodes of the layout have not answered (silence is no answer). */
  | { kind: 'wait'; missing: string[] };

/**
 * Decides, from the answers so far, whether a node without data (`self`) is new or lost its data.
 *
 * A vote counts only for a candidate that received it, and every packet carries its sender's
 * generation, which the receiver keeps on disk: so if this node ever voted in a term that a leader
 * won, that leader knows its generation, and so may any other peer. One peer that saw it proves a
 * lost disk. "Never saw you" proves nothing about the others — a peer that lost its own data, joined
 * since, or never exchanged a packet with this node answers 0 too (seed 52 of the simulator took a
 * 0 from a decommissioned, itself wiped node as proof, and voted twice in a term). So the node is
 * new only when every other node it knows of — of the newest layout it learned and of the older
 * ones (its layout file's) — answered 0: among them are the replicas of every partition it was in,
 * and any leader its vote elected. A node that the newest layout does not name (one about to join,
 * or one decommissioned) holds no partition, and enters one only through its log, as a learner:
 * any answer will do for it.
 */
export function judgeIdentityAnswers(self: string, layout: IdentityLayout, answers: ReadonlyMap<string, IdentityAnswer>): IdentityVerdict {
  // A newer layout first, even when the node is known to have lost its data: it marks as a learner
  // the partitions it holds in the newest layout it knows (a stale one names too few).
  let newer: { from: string; epoch: number } | undefined;
  for (const [peer, answer] of answers) {
    if (answer.layoutEpoch > layout.epoch && (!newer || answer.layoutEpoch > newer.epoch)) newer = { from: peer, epoch: answer.layoutEpoch };
  }
  if (newer) return { kind: 'newer-layout', ...newer };
  const knownGeneration = Math.max(0, ...[...answers.values()].map((a) => a.knownGeneration));
  if (knownGeneration > 0) return { kind: 'lost', knownGeneration };
  if (!layout.nodes.includes(self)) {
    const others = layout.nodes.filter((id) => id !== self);
    return others.length === 0 || answers.size > 0 ? { kind: 'new' } : { kind: 'wait', missing: others };
  }
  const everyone = new Set([...layout.nodes, ...(layout.formerNodes ?? [])]);
  const missing = [...everyone].filter((id) => id !== self && !answers.has(id));
  return missing.length === 0 ? { kind: 'new' } : { kind: 'wait', missing };
}

/** A layout as the asking loop sees it: its epoch and its storage nodes. */
export interface AskedLayout<Node extends { id: string }> {
  epoch: number;
  nodes: readonly Node[];
}

/** How a node without data reaches its peers while it decides. */
export interface IdentityAsking<Node extends { id: string }, Layout extends AskedLayout<Node>> {
  /** Asks `peer` which generation of this node it saw; rejects when the peer does not answer. */
  ping(peer: Node): Promise<IdentityAnswer>;
  /** The layout `peer` follows, if newer than `knownEpoch` (undefined: none newer, or no answer). */
  newerLayout(peer: Node, knownEpoch: number): Promise<Layout | undefined>;
}

/** What a node without data learned from its peers. */
export interface IdentityFindings<Layout> {
  /** The generation a peer saw ([n], n > 0: the node lost its data), or [] (proven new). */
  known: number[];
  /** The newest layout a peer handed over while it asked, if any was newer than its own. */
  newerLayout?: Layout;
}

/**
 * What the peers know of this node's generation (see `IdentityFindings` and `judgeIdentityAnswers`),
 * and the newest layout they follow, if newer than the node's. It asks the nodes
 * of its layout that have not answered, every IDENTITY_ASK_RETRY_MS, for as long as it takes: a node
 * whose peers are down or cut off cannot tell a first start from a lost disk, and deciding "first
 * start" would bring a wiped replica back as a voter with an empty log, which with a lagging
 * replica's vote elects a leader without the committed entries (seed 58 of the simulator). When a
 * peer follows a newer layout, it asks that layout's nodes too. Its server answers pings
 * meanwhile, so nodes of a new cluster started together answer one another.
 */
export async function askPeersOurGeneration<Node extends { id: string }, Layout extends AskedLayout<Node>>(
  self: string,
  layout: AskedLayout<Node>,
  asking: IdentityAsking<Node, Layout>,
  env: Environment,
  onSilence: (waitedMs: number, missing: string[]) => void,
): Promise<IdentityFindings<Layout>> {
  const startedMs = env.monotonicMs();
  const answers = new Map<string, IdentityAnswer>();
  /** Every node of every layout seen, by id: a peer that reports a newer layout may be in none but the first. */
  const nodes = new Map(layout.nodes.map((n) => [n.id, n]));
  let current = layout;
  let newerLayout: Layout | undefined;
  /** Nodes of the layouts before `current` that it no longer names. */
  const former = () => [...nodes.keys()].filter((id) => !current.nodes.some((n) => n.id === id));
  let warned = false;
  for (;;) {
    const asked = [...nodes.values()].filter((n) => n.id !== self && !answers.has(n.id));
    const replies = await Promise.allSettled(asked.map((peer) => asking.ping(peer)));
    replies.forEach((reply, i) => {
      if (reply.status === 'fulfilled') answers.set(asked[i]!.id, reply.value);
    });
    for (;;) {
      const verdict = judgeIdentityAnswers(self, { epoch: current.epoch, nodes: current.nodes.map((n) => n.id), formerNodes: former() }, answers);
      if (verdict.kind === 'lost') return { known: [verdict.knownGeneration], newerLayout };
      if (verdict.kind === 'new') return { known: [], newerLayout };
      if (verdict.kind === 'wait') {
        const waitedMs = env.monotonicMs() - startedMs;
        if (!warned && waitedMs >= IDENTITY_ASK_WARN_AFTER_MS) {
          warned = true;
          onSilence(waitedMs, verdict.missing);
        }
        break;
      }
      // A newer layout: its nodes are the ones to hear from. A peer that cannot hand it over is
      // asked again in the next round (its answer is dropped so that it is).
      const newer = await asking.newerLayout(nodes.get(verdict.from)!, current.epoch).catch(() => undefined);
      if (newer && newer.epoch > current.epoch) {
        current = newer;
        newerLayout = newer;
        for (const n of newer.nodes) if (!nodes.has(n.id)) nodes.set(n.id, n);
      } else {
        answers.delete(verdict.from);
        break;
      }
    }
    await sleep(env, IDENTITY_ASK_RETRY_MS);
  }
}
