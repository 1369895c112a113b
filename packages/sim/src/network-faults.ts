/**
 * What the simulated network does with each message, decided by a hook the simulation installs
 * (a workload's fault schedule, a test's partition): `SimNetwork` asks it once per message, in
 * the order messages are sent, and draws every default from its seeded randomness, so that one
 * seed gives one run.
 */

/** One message on the simulated network, as the fault hook sees it. */
export interface SimMessage {
  /** The network's number for the call (a request and its reply share it). */
  callId: number;
  /** The sending and the receiving process, by name (an address nobody serves is named as the address). */
  from: string;
  to: string;
  /** The address the call was made to. */
  address: string;
  service: 'storage' | 'gossip';
  /** The method as the service object names it (`execute`, `election`, `gossip`). */
  method: string;
  direction: 'request' | 'reply';
  /** Serialized size. */
  bytes: number;
  /**
   * The partitions a storage request names (its item operations', keys' or ranges', or its own
   * `partition`), for faults shaped by partition (a router cut off from the system partition);
   * empty for gossip and for calls that name none. A reply carries its request's.
   */
  partitions: readonly number[];
}

/**
 * The fate of one message:
 *  - `deliver` after `delayMs` (default: drawn from the link latency);
 *  - `drop`: lost; the caller learns nothing until its deadline;
 *  - `hold`: delivered only after the caller's deadline has passed (a request that arrives after
 *    its caller gave up: the receiver still acts on it; a reply nobody waits for any more);
 *  - `duplicate`: delivered twice, after two delays (a request runs twice; the caller takes the
 *    first reply). A duplicated reply is delivered once: the caller's gRPC layer drops the copy;
 *  - `refuse`: a request that never leaves: the connection is refused or reset at once, as a
 *    cut link or a dead peer's kernel answers (UNAVAILABLE, which `certainlyNotSent` knows). For a
 *    reply it is a connection reset after the receiver acted (UNAVAILABLE, outcome unknown).
 */
export type LinkVerdict =
  | { kind: 'deliver'; delayMs?: number }
  | { kind: 'drop' }
  | { kind: 'hold' }
  | { kind: 'duplicate'; delayMs?: number; secondDelayMs?: number }
  | { kind: 'refuse' };

/** Decides a message's fate; undefined: deliver after the drawn latency. `random` is the network's seeded source. */
export type FaultHook = (message: SimMessage, random: () => number) => LinkVerdict | undefined;

/** The first hook with a verdict decides. */
export function composeFaults(...hooks: FaultHook[]): FaultHook {
  return (message, random) => {
    for (const hook of hooks) {
      const verdict = hook(message, random);
      if (verdict) return verdict;
    }
    return undefined;
  };
}

/** How a cut link fails its messages: silently (`drop`, a blackhole) or loudly (`refuse`, a reset). */
export type CutMode = 'drop' | 'refuse';

/**
 * Partitions of any shape as a set of cut one-way links between processes: `cut(a, b)` cuts
 * both ways, `cutOneWay(a, b)` only messages from a to b (b's replies to a still travel, and so
 * does everything a sends to others). `split` cuts every link between groups; `isolate` one
 * process from all others. Its `hook` goes into `SimNetwork.setFaults` (with `composeFaults`).
 */
export class LinkCuts {
  private readonly cuts = new Map<string, CutMode>();

  readonly hook: FaultHook = (message) => {
    const mode = this.cuts.get(linkKey(message.from, message.to));
    return mode ? { kind: mode } : undefined;
  };

  cutOneWay(from: string, to: string, mode: CutMode = 'drop'): this {
    this.cuts.set(linkKey(from, to), mode);
    return this;
  }

  cut(a: string, b: string, mode: CutMode = 'drop'): this {
    return this.cutOneWay(a, b, mode).cutOneWay(b, a, mode);
  }

  /** Cuts every link between processes of different groups. */
  split(groups: readonly (readonly string[])[], mode: CutMode = 'drop'): this {
    for (const [i, group] of groups.entries()) {
      for (const other of groups.slice(i + 1)) {
        for (const a of group) for (const b of other) this.cut(a, b, mode);
      }
    }
    return this;
  }

  isolate(name: string, others: readonly string[], mode: CutMode = 'drop'): this {
    for (const other of others) if (other !== name) this.cut(name, other, mode);
    return this;
  }

  heal(): this {
    this.cuts.clear();
    return this;
  }

  isCut(from: string, to: string): boolean {
    return this.cuts.has(linkKey(from, to));
  }
}

const linkKey = (from: string, to: string) => `${from}\u0000${to}`;
