import {
  INCARNATION_STEP_MAX,
  LEAVE_NOTIFY_MEMBERS_MAX,
  MEMBERS_MAX,
  RELAYS_PENDING_MAX,
  REMOVED_TOMBSTONES_MAX,
  SEEDS_MAX,
} from '../limits';
import { BroadcastQueue } from './broadcast-queue';
import { resolveSwimConfig, retransmitLimit, suspicionTimeoutMs, type SwimConfig } from './config';
import type { OutgoingMessage, SwimMessage } from './messages';
import { copyState, sameInfo, supersedes, type MemberEvent, type MemberInfo, type MemberState } from './types';

/** What the state machine produced since the last `drain()`. */
export interface SwimOutput {
  messages: OutgoingMessage[];
  events: MemberEvent[];
}

/** A uniform random number in [0, 1): the platform's generator in production, a seeded one in tests. */
export type RandomSource = () => number;

/** The member we advertise, optionally starting at an incarnation (e.g. one persisted across restarts). */
export type SelfInit = MemberInfo & { incarnation?: number };

interface MemberRecord {
  state: MemberState;
  /** When this member became suspect here: its suspicion timeout runs from then. */
  suspectSinceMs: number;
}

/** The probe of the current protocol period. */
interface Probe {
  targetId: string;
  targetAddress: string;
  seqNo: number;
  startMs: number;
  acked: boolean;
  indirectSent: boolean;
}

/** A ping this member sent on someone else's behalf (ping-req), to relay the ack. */
interface Relay {
  requesterAddress: string;
  requesterSeqNo: number;
  expiresMs: number;
}

/** Where a claim about a member came from: a full-state sync merges dead claims more gently. */
type ClaimSource = 'gossip' | 'sync' | 'local';

/**
 * One member's SWIM state machine: failure detection by periodic probes (direct ping, then
 * indirect ping-req through k members), suspicion with incarnation numbers and refutation, and
 * infection-style dissemination piggy-backed on pings and acks; join and anti-entropy by
 * full-state sync. After hashicorp/memberlist, minus its transport and clock.
 *
 * Pure and synchronous: time arrives as `nowMs` arguments and randomness through `random`. Drive it
 * with `tick(nowMs)` (every ~100 ms) and `receive(message, nowMs)` (every incoming message, and
 * every reply to a message it sent); then `drain()` the messages to send and the events to report.
 *
 * Membership only reports status: a dead member stays in the list (consumers keep its data
 * placement) until `remove(id)`, which is decommissioning — an administrator's decision.
 */
export class SwimMember {
  readonly config: SwimConfig;
  private readonly self: MemberState;
  private readonly others = new Map<string, MemberRecord>();
  /** Removed (decommissioned) ids and the incarnation they had: only a newer one brings them back. */
  private readonly tombstones = new Map<string, number>();
  private readonly broadcasts = new BroadcastQueue();
  private outbox: OutgoingMessage[] = [];
  private events: MemberEvent[] = [];

  private probeOrder: string[] = [];
  private probeIndex = 0;
  /** Members that became suspect here, to be probed next ahead of the round-robin order. */
  private suspectsToProbe: string[] = [];
  private probe: Probe | undefined;
  private readonly relays = new Map<number, Relay>();
  private seqNo = 0;

  private seeds: string[] = [];
  private nextProbeMs: number | undefined;
  private nextPushPullMs: number | undefined;
  private nextReconnectMs: number | undefined;
  private nextJoinMs: number | undefined;
  private leaving = false;

  constructor(self: SelfInit, config: Partial<SwimConfig> = {}, private readonly random: RandomSource) {
    this.config = resolveSwimConfig(config);
    const { incarnation = 0, ...info } = self;
    this.self = copyState({ ...info, status: 'alive', incarnation });
    // Our own alive state is the first news we spread.
    this.broadcasts.enqueue(this.self);
  }

  get id(): string {
    return this.self.id;
  }

  get incarnation(): number {
    return this.self.incarnation;
  }

  /** Every known member, ourselves included, sorted by id (copies). */
  members(): MemberState[] {
    return [this.self, ...[...this.others.values()].map((r) => r.state)]
      .map(copyState)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  member(id: string): MemberState | undefined {
    if (id === this.self.id) return copyState(this.self);
    const record = this.others.get(id);
    return record ? copyState(record.state) : undefined;
  }

  /** Messages to send and events to report since the last call. */
  drain(): SwimOutput {
    const output = { messages: this.outbox, events: this.events };
    this.outbox = [];
    this.events = [];
    return output;
  }

  /** The suspicion timeout for the current cluster size. */
  suspicionTimeoutMs(): number {
    return suspicionTimeoutMs(this.config, this.memberCount());
  }

  /** How many times an update is piggy-backed at the current cluster size. */
  retransmitLimit(): number {
    return retransmitLimit(this.config, this.memberCount());
  }

  /**
   * Bootstraps through seeds: a full-state sync with each (our state for theirs). Retried every
   * `joinRetryIntervalMs` for as long as no other live member is known.
   */
  join(seedAddresses: readonly string[]): void {
    this.seeds = [...new Set(seedAddresses)].filter((a) => a !== this.self.address).slice(0, SEEDS_MAX);
    this.nextJoinMs = undefined;
    this.sendJoin();
  }

  /**
   * Graceful leave: status `left` at a new incarnation, told directly to a few live members and
   * piggy-backed on every ack from now on. A member that left stops probing and never refutes.
   */
  leave(): void {
    if (this.leaving) return;
    this.leaving = true;
    this.probe = undefined;
    this.setSelf({ ...this.self, status: 'left', incarnation: this.self.incarnation + 1 });
    const live = this.pick(this.liveOthers(), LEAVE_NOTIFY_MEMBERS_MAX);
    for (const record of live) {
      this.send(record.state.address, { type: 'gossip', ...this.sender(), updates: [copyState(this.self)] });
    }
  }

  /**
   * Decommission: forgets a member for good (not a failure — failures only change status).
   * Local: the admin command applies it on every member; stale gossip about it is ignored, and
   * only a newer incarnation (the node joining again) brings it back.
   */
  remove(id: string): boolean {
    if (id === this.self.id) throw new Error('a member cannot remove itself; use leave()');
    const record = this.others.get(id);
    if (!record) return false;
    this.others.delete(id);
    this.broadcasts.drop(id);
    if (this.probe?.targetId === id) this.probe = undefined;
    this.tombstones.delete(id);
    this.tombstones.set(id, record.state.incarnation);
    while (this.tombstones.size > REMOVED_TOMBSTONES_MAX) this.tombstones.delete(this.tombstones.keys().next().value as string);
    return true;
  }

  /** Advances time: probes, timeouts, suspicion expiry, periodic syncs and join retries. */
  tick(nowMs: number): void {
    this.expireRelays(nowMs);
    if (this.leaving) return;
    // Stagger the first period of each timer so that members started together do not act in step.
    this.nextProbeMs ??= nowMs + Math.floor(this.random() * this.config.protocolPeriodMs);
    this.nextPushPullMs ??= nowMs + Math.floor((0.5 + this.random()) * this.config.pushPullIntervalMs);
    this.nextReconnectMs ??= nowMs + Math.floor((0.5 + this.random()) * this.config.reconnectIntervalMs);
    this.nextJoinMs ??= nowMs + this.config.joinRetryIntervalMs;

    const probe = this.probe;
    if (probe && !probe.acked && !probe.indirectSent && nowMs >= probe.startMs + this.config.pingTimeoutMs) {
      this.sendIndirectProbes(probe);
    }
    if (nowMs >= this.nextProbeMs) {
      if (probe && !probe.acked) this.probeFailed(probe, nowMs);
      this.probe = undefined;
      this.startProbe(nowMs);
      this.nextProbeMs += this.config.protocolPeriodMs;
      // After a long pause do not fire a burst of catch-up probes.
      if (this.nextProbeMs <= nowMs) this.nextProbeMs = nowMs + this.config.protocolPeriodMs;
    }

    const timeoutMs = this.suspicionTimeoutMs();
    for (const record of this.others.values()) {
      if (record.state.status === 'suspect' && nowMs - record.suspectSinceMs >= timeoutMs) {
        this.apply({ ...record.state, status: 'dead' }, nowMs, 'local');
      }
    }

    if (nowMs >= this.nextPushPullMs) {
      this.nextPushPullMs = nowMs + this.config.pushPullIntervalMs;
      const [peer] = this.pick(this.liveOthers(), 1);
      if (peer) this.sendSync(peer.state.address, false);
    }
    if (nowMs >= this.nextReconnectMs) {
      this.nextReconnectMs = nowMs + this.config.reconnectIntervalMs;
      const [peer] = this.pick([...this.others.values()].filter((r) => r.state.status === 'dead'), 1);
      if (peer) this.sendSync(peer.state.address, false);
    }
    if (nowMs >= this.nextJoinMs) {
      this.nextJoinMs = nowMs + this.config.joinRetryIntervalMs;
      if (this.seeds.length > 0 && this.liveOthers().length === 0) this.sendJoin();
    }
  }

  /**
   * Handles one incoming message (or a reply to one we sent). Returns the direct reply for the
   * sender, if the message has one (an ack for a ping, a sync-reply for a sync); anything else to
   * send goes to the outbox.
   */
  receive(message: SwimMessage, nowMs: number): SwimMessage | null {
    if (message.from === this.self.id) return null; // our own packet looped back (a seed listing ourselves)
    switch (message.type) {
      case 'ping':
        this.merge(message.updates, nowMs, 'gossip');
        // A different member now at that address: let the prober time out rather than lie.
        if (message.targetId !== this.self.id) return null;
        return { type: 'ack', seqNo: message.seqNo, ...this.sender(), updates: this.piggyback(message.from) };
      case 'ack': {
        this.merge(message.updates, nowMs, 'gossip');
        if (this.probe && message.seqNo === this.probe.seqNo) {
          this.probe.acked = true;
          return null;
        }
        const relay = this.relays.get(message.seqNo);
        if (relay) {
          this.relays.delete(message.seqNo);
          // Forward what the target said (its refutation, if it was suspected) with the ack.
          this.send(relay.requesterAddress, {
            type: 'ack',
            seqNo: relay.requesterSeqNo,
            ...this.sender(),
            updates: this.piggyback(undefined, message.updates),
          });
        }
        return null;
      }
      case 'ping-req': {
        this.merge(message.updates, nowMs, 'gossip');
        if (this.relays.size >= RELAYS_PENDING_MAX) return null;
        const seqNo = this.nextSeqNo();
        this.relays.set(seqNo, {
          requesterAddress: message.fromAddress,
          requesterSeqNo: message.seqNo,
          expiresMs: nowMs + this.config.protocolPeriodMs,
        });
        this.send(message.targetAddress, {
          type: 'ping',
          seqNo,
          ...this.sender(),
          targetId: message.targetId,
          updates: this.piggyback(message.targetId),
        });
        return null;
      }
      case 'sync':
        this.merge(message.members, nowMs, 'sync');
        return { type: 'sync-reply', ...this.sender(), members: this.fullState() };
      case 'sync-reply':
        this.merge(message.members, nowMs, 'sync');
        return null;
      case 'gossip':
        this.merge(message.updates, nowMs, 'gossip');
        return null;
    }
  }

  // --- probing -------------------------------------------------------------------------------

  private startProbe(nowMs: number): void {
    const target = this.nextProbeTarget();
    if (!target) return;
    const probe: Probe = {
      targetId: target.state.id,
      targetAddress: target.state.address,
      seqNo: this.nextSeqNo(),
      startMs: nowMs,
      acked: false,
      indirectSent: false,
    };
    this.probe = probe;
    this.send(probe.targetAddress, {
      type: 'ping',
      seqNo: probe.seqNo,
      ...this.sender(),
      targetId: probe.targetId,
      updates: this.piggyback(probe.targetId),
    });
  }

  /**
   * Round-robin over a list shuffled anew each round; dead and left members are not probed. A
   * member that just became suspect goes first: our ping tells it that it is suspected and its
   * ack carries the refutation straight back, instead of waiting for gossip to bring it.
   */
  private nextProbeTarget(): MemberRecord | undefined {
    while (this.suspectsToProbe.length > 0) {
      const record = this.others.get(this.suspectsToProbe.shift()!);
      if (record && record.state.status === 'suspect') return record;
    }
    for (let pass = 0; pass < 2; pass++) {
      while (this.probeIndex < this.probeOrder.length) {
        const record = this.others.get(this.probeOrder[this.probeIndex++]);
        if (record && isProbed(record.state)) return record;
      }
      this.probeOrder = this.shuffle([...this.others.values()].filter((r) => isProbed(r.state)).map((r) => r.state.id));
      this.probeIndex = 0;
    }
    return undefined;
  }

  private sendIndirectProbes(probe: Probe): void {
    probe.indirectSent = true;
    const helpers = this.pick(
      this.liveOthers().filter((r) => r.state.status === 'alive' && r.state.id !== probe.targetId),
      this.config.indirectChecks,
    );
    for (const helper of helpers) {
      this.send(helper.state.address, {
        type: 'ping-req',
        seqNo: probe.seqNo,
        ...this.sender(),
        targetId: probe.targetId,
        targetAddress: probe.targetAddress,
        updates: this.piggyback(),
      });
    }
  }

  private probeFailed(probe: Probe, nowMs: number): void {
    const record = this.others.get(probe.targetId);
    if (record && record.state.status === 'alive') this.apply({ ...record.state, status: 'suspect' }, nowMs, 'local');
  }

  private queueSuspectProbe(id: string): void {
    if (!this.suspectsToProbe.includes(id) && this.suspectsToProbe.length < MEMBERS_MAX) this.suspectsToProbe.push(id);
  }

  private expireRelays(nowMs: number): void {
    for (const [seqNo, relay] of this.relays) if (relay.expiresMs <= nowMs) this.relays.delete(seqNo);
  }

  // --- state merging -------------------------------------------------------------------------

  private merge(states: readonly MemberState[], nowMs: number, source: ClaimSource): void {
    for (const state of states) this.apply(state, nowMs, source);
  }

  /**
   * A claim whose incarnation is more than INCARNATION_STEP_MAX beyond `known` is taken as that
   * far ahead only: an incarnation moves by bounded steps, however large the number a message
   * carries, so that the member it names can always outbid it.
   */
  private bounded(claim: MemberState, known: number | undefined): MemberState {
    if (known === undefined || claim.incarnation <= known + INCARNATION_STEP_MAX) return claim;
    this.incarnationsBounded++;
    return { ...claim, incarnation: known + INCARNATION_STEP_MAX };
  }

  /** Claims whose incarnation jumped further than INCARNATION_STEP_MAX (see `bounded`): a sign of forged or corrupt gossip. */
  incarnationsBounded = 0;

  /** Applies one claim about a member if it supersedes what we believe. */
  private apply(unbounded: MemberState, nowMs: number, source: ClaimSource): void {
    if (unbounded.id === this.self.id) {
      this.considerClaimAboutSelf(this.bounded(unbounded, this.self.incarnation));
      return;
    }
    const record = this.others.get(unbounded.id);
    const claim = this.bounded(unbounded, record?.state.incarnation);
    if (!record) {
      const removedAt = this.tombstones.get(claim.id);
      if (removedAt !== undefined && claim.incarnation <= removedAt) return;
      if (this.others.size + 1 >= MEMBERS_MAX) return;
      this.tombstones.delete(claim.id);
      const state = copyState(claim);
      this.others.set(state.id, { state, suspectSinceMs: nowMs });
      this.broadcasts.enqueue(state);
      this.events.push({ memberId: state.id, from: undefined, to: state.status, member: copyState(state) });
      if (state.status === 'suspect') this.queueSuspectProbe(state.id);
      return;
    }
    let next = claim;
    if (source === 'sync' && claim.status !== 'alive' && claim.status !== 'left') {
      // A full-state sync is the other side's whole view, often from across a healed partition:
      // its "dead at the incarnation we hold alive" says nothing new about a member we are in
      // touch with, and acting on it would make us suspect our own neighbours. The claimant will
      // tell that member itself (its acks and pings carry what it believes), and it will refute.
      if (record.state.status === 'alive' && claim.incarnation <= record.state.incarnation) return;
      // memberlist's mergeState: a synced "dead" counts as "suspect", leaving time to refute.
      if (claim.status === 'dead') next = { ...claim, status: 'suspect' };
    }
    // "Dead at an incarnation we never saw": whoever declared it saw the member refute past what
    // we know, or the claim is made up. Either way we suspect first, and our own suspicion timeout
    // decides, so that the member has time to refute.
    if (next.status === 'dead' && claim.incarnation > record.state.incarnation) next = { ...next, status: 'suspect' };
    if (!supersedes(next, record.state)) return;
    const previous = record.state;
    record.state = copyState(next);
    // A suspicion at a new incarnation is a new suspicion: the member refuted the last one.
    if (next.status === 'suspect' && (previous.status !== 'suspect' || previous.incarnation !== next.incarnation)) {
      record.suspectSinceMs = nowMs;
      this.queueSuspectProbe(next.id);
    }
    this.broadcasts.enqueue(record.state);
    if (previous.status !== next.status || !sameInfo(previous, next)) {
      this.events.push({ memberId: next.id, from: previous.status, to: next.status, member: copyState(record.state) });
    }
  }

  /**
   * Refutation: someone believes something about us that is not so (suspect, dead, left, or an
   * older identity at our incarnation or above). We outbid it with a higher incarnation.
   */
  private considerClaimAboutSelf(claim: MemberState): void {
    if (this.leaving) return; // we really are leaving: let the news stand
    const self = this.self;
    const stale =
      claim.incarnation > self.incarnation ||
      (claim.incarnation === self.incarnation && (claim.status !== 'alive' || !sameInfo(claim, self)));
    if (stale) this.setSelf({ ...self, incarnation: claim.incarnation + 1 });
  }

  private setSelf(next: MemberState): void {
    const previous = this.self.status;
    Object.assign(this.self, next);
    this.broadcasts.enqueue(this.self);
    if (previous !== next.status) {
      this.events.push({ memberId: this.self.id, from: previous, to: next.status, member: copyState(this.self) });
    }
  }

  // --- sending -------------------------------------------------------------------------------

  /**
   * Updates for one message. Our own state always rides along (one entry: whoever hears from us
   * learns our current incarnation, even after its broadcast ran out of retransmits). A recipient
   * we do not believe alive is then told what we believe about it, so that it can refute at once
   * (its ack carries the refutation back). `first` (a relayed target's own updates) comes next.
   */
  private piggyback(recipientId?: string, first: readonly MemberState[] = []): MemberState[] {
    const updates: MemberState[] = [copyState(this.self)];
    const excluded = new Set<string>([this.self.id]);
    const recipient = recipientId === undefined ? undefined : this.others.get(recipientId);
    if (recipient && recipient.state.status !== 'alive') {
      updates.push(copyState(recipient.state));
      excluded.add(recipient.state.id);
    }
    for (const state of first) {
      if (updates.length >= this.config.piggybackUpdatesMax) break;
      if (excluded.has(state.id)) continue;
      updates.push(copyState(state));
      excluded.add(state.id);
    }
    updates.push(...this.broadcasts.take(this.config.piggybackUpdatesMax - updates.length, this.retransmitLimit(), excluded));
    return updates;
  }

  private sendJoin(): void {
    for (const seed of this.seeds) this.sendSync(seed, true);
  }

  private sendSync(address: string, join: boolean): void {
    this.send(address, { type: 'sync', ...this.sender(), join, members: this.fullState() });
  }

  private send(toAddress: string, message: SwimMessage): void {
    this.outbox.push({ toAddress, message });
  }

  private sender(): { from: string; fromAddress: string } {
    return { from: this.self.id, fromAddress: this.self.address };
  }

  private fullState(): MemberState[] {
    return this.members().slice(0, MEMBERS_MAX);
  }

  // --- helpers -------------------------------------------------------------------------------

  private memberCount(): number {
    return this.others.size + 1;
  }

  private liveOthers(): MemberRecord[] {
    return [...this.others.values()].filter((r) => isProbed(r.state));
  }

  private nextSeqNo(): number {
    this.seqNo = this.seqNo >= Number.MAX_SAFE_INTEGER ? 1 : this.seqNo + 1;
    return this.seqNo;
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Up to `count` distinct random entries. */
  private pick<T>(items: T[], count: number): T[] {
    return this.shuffle([...items]).slice(0, count);
  }
}

function isProbed(state: MemberState): boolean {
  return state.status === 'alive' || state.status === 'suspect';
}
