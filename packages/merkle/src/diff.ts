import { DIFF_LEVELS_PER_ROUND_DEFAULT, DIFF_LEVELS_PER_ROUND_MAX, DIFF_NODES_PER_REQUEST_MAX } from './limits';
import { DigestSource, MerkleTree } from './merkle-tree';

/** Ask the other replica for the digests of these nodes of one level. */
export interface NodeDigestsRequest {
  readonly level: number;
  readonly indices: readonly number[];
}

export interface MerkleDiffInit {
  /**
   * Levels descended per round trip: from each differing node, ask for its descendants this many
   * levels down at once. Fewer round trips against more digests per differing node.
   * Default DIFF_LEVELS_PER_ROUND_DEFAULT (2); at most DIFF_LEVELS_PER_ROUND_MAX.
   */
  levelsPerRound?: number;
  /** At most this many nodes per request; more are split over several requests. Default DIFF_NODES_PER_REQUEST_MAX. */
  nodesPerRequestMax?: number;
}

/**
 * Which children of local node (level, index) differ from the remote's digests of them
 * (`remoteChildren`, left then right): the one-step comparison of a top-down walk.
 */
export function differingChildren(local: MerkleTree, level: number, index: number, remoteChildren: readonly string[]): number[] {
  const mine = local.childrenDigests(level, index);
  if (remoteChildren.length !== mine.length) {
    throw new Error(`expected ${mine.length} child digests, got ${remoteChildren.length}`);
  }
  const out: number[] = [];
  mine.forEach((d, i) => {
    if (d !== remoteChildren[i]) out.push(2 * index + i);
  });
  return out;
}

/**
 * A top-down comparison of a local tree with a remote one, as a step-wise state machine so that
 * the caller owns the network: take `nextRequest()`, send it, feed the remote's answer to
 * `onResponse()`, until `nextRequest()` returns undefined; then `differingBuckets()` lists the
 * leaves whose digests differ. It starts with the root, and only descends into differing nodes.
 *
 * Both trees must have the same depth. The local tree should not change during the walk (compare
 * a `clone()` if it takes writes); a write racing the walk at worst shows up as a spurious or a
 * missed bucket, which the next anti-entropy round settles.
 */
export class MerkleDiff {
  private readonly levelsPerRound: number;
  private readonly nodesPerRequestMax: number;
  /** The level the pending and in-flight requests are about. */
  private level = 0;
  /** Nodes at `level` still to ask about. */
  private queue: number[] = [0];
  /** Nodes at `level` found to differ so far. */
  private differing: number[] = [];
  private inflight: number[] | undefined;

  constructor(
    private readonly local: MerkleTree,
    init: MerkleDiffInit = {},
  ) {
    this.levelsPerRound = init.levelsPerRound ?? DIFF_LEVELS_PER_ROUND_DEFAULT;
    this.nodesPerRequestMax = init.nodesPerRequestMax ?? DIFF_NODES_PER_REQUEST_MAX;
    if (!Number.isInteger(this.levelsPerRound) || this.levelsPerRound < 1 || this.levelsPerRound > DIFF_LEVELS_PER_ROUND_MAX) {
      throw new Error(`levelsPerRound must be between 1 and ${DIFF_LEVELS_PER_ROUND_MAX}, got ${this.levelsPerRound}`);
    }
    if (!Number.isInteger(this.nodesPerRequestMax) || this.nodesPerRequestMax < 1) {
      throw new Error(`nodesPerRequestMax must be a positive integer, got ${this.nodesPerRequestMax}`);
    }
  }

  /** The next request to send, or undefined when the walk is over. One request at a time. */
  nextRequest(): NodeDigestsRequest | undefined {
    if (this.inflight !== undefined) throw new Error('answer the previous request first');
    if (this.queue.length === 0) {
      if (this.level === this.local.depth || this.differing.length === 0) return undefined;
      const next = Math.min(this.level + this.levelsPerRound, this.local.depth);
      const fanout = 2 ** (next - this.level);
      const queue: number[] = [];
      for (const i of this.differing) {
        for (let j = 0; j < fanout; j++) queue.push(i * fanout + j);
      }
      this.level = next;
      this.queue = queue;
      this.differing = [];
    }
    this.inflight = this.queue.splice(0, this.nodesPerRequestMax);
    return { level: this.level, indices: this.inflight };
  }

  /** The remote's digests for the last request's nodes, in the same order. */
  onResponse(remoteDigests: readonly string[]): void {
    const asked = this.inflight;
    if (asked === undefined) throw new Error('no request in flight');
    if (remoteDigests.length !== asked.length) {
      throw new Error(`asked for ${asked.length} digests, got ${remoteDigests.length}`);
    }
    asked.forEach((index, k) => {
      if (this.local.node(this.level, index) !== remoteDigests[k]) this.differing.push(index);
    });
    this.inflight = undefined;
  }

  get done(): boolean {
    return this.inflight === undefined && this.queue.length === 0 && (this.level === this.local.depth || this.differing.length === 0);
  }

  /** The buckets whose digests differ, ascending; only once the walk is done. */
  differingBuckets(): number[] {
    if (!this.done) throw new Error('the walk is not over');
    return this.level === this.local.depth ? [...this.differing].sort((a, b) => a - b) : [];
  }
}

/** Runs a whole walk against a remote that answers synchronously (another tree in tests and simulations). */
export function diffTrees(local: MerkleTree, remote: DigestSource, init?: MerkleDiffInit): number[] {
  const walk = new MerkleDiff(local, init);
  for (let req = walk.nextRequest(); req !== undefined; req = walk.nextRequest()) {
    walk.onResponse(remote.nodeDigests(req.level, req.indices));
  }
  return walk.differingBuckets();
}

/** Runs a whole walk over an asynchronous transport: `fetch` sends one request and resolves to the remote's digests. */
export async function diffTreesAsync(
  local: MerkleTree,
  fetch: (request: NodeDigestsRequest) => Promise<readonly string[]>,
  init?: MerkleDiffInit,
): Promise<number[]> {
  const walk = new MerkleDiff(local, init);
  for (let req = walk.nextRequest(); req !== undefined; req = walk.nextRequest()) {
    walk.onResponse(await fetch(req));
  }
  return walk.differingBuckets();
}
