import {
  DEFAULT_SWIM_CONFIG,
  InvalidSwimMessageError,
  parseSwimMessage,
  resolveSwimConfig,
  retransmitLimit,
  supersedes,
  suspicionTimeoutMs,
  SwimMember,
  type MemberState,
  type MemberStatus,
  type SwimMessage,
} from '../src/swim';
import { INCARNATION_MAX, INCARNATION_STEP_MAX } from '../src/limits';
import { seededRandom } from './support/prng';

/** Step-by-step cases of the pure core: one member, messages written by hand, time by hand. */

const PERIOD = DEFAULT_SWIM_CONFIG.protocolPeriodMs;
const PING_TIMEOUT = DEFAULT_SWIM_CONFIG.pingTimeoutMs;

function state(id: string, status: MemberStatus = 'alive', incarnation = 0): MemberState {
  return { id, zone: `zone-${id}`, role: 'storage', address: `${id}:7000`, status, incarnation };
}

function newMember(id = 'a'): SwimMember {
  return new SwimMember({ id, zone: `zone-${id}`, role: 'storage', address: `${id}:7000` }, {}, seededRandom(1));
}

/** A member that knows `others` as alive (learned through a sync), with its output drained. */
function memberKnowing(others: string[]): SwimMember {
  const member = newMember();
  member.receive({ type: 'sync', from: others[0], fromAddress: `${others[0]}:7000`, join: false, members: others.map((id) => state(id)) }, 0);
  member.drain();
  return member;
}

function gossip(updates: MemberState[], from = 'z'): SwimMessage {
  return { type: 'gossip', from, fromAddress: `${from}:7000`, updates };
}

function sent(member: SwimMember): SwimMessage[] {
  return member.drain().messages.map((m) => m.message);
}

describe('precedence', () => {
  it('orders claims by incarnation, then alive < suspect < dead < left', () => {
    expect(supersedes(state('x', 'alive', 2), state('x', 'dead', 1))).toBe(true);
    expect(supersedes(state('x', 'suspect', 1), state('x', 'alive', 1))).toBe(true);
    expect(supersedes(state('x', 'dead', 1), state('x', 'suspect', 1))).toBe(true);
    expect(supersedes(state('x', 'left', 1), state('x', 'dead', 1))).toBe(true);
    expect(supersedes(state('x', 'alive', 1), state('x', 'suspect', 1))).toBe(false);
    expect(supersedes(state('x', 'dead', 0), state('x', 'alive', 1))).toBe(false);
    expect(supersedes(state('x', 'alive', 1), state('x', 'alive', 1))).toBe(false);
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_SWIM_CONFIG).toEqual({
      protocolPeriodMs: 500,
      pingTimeoutMs: 200,
      indirectChecks: 3,
      suspicionMult: 4,
      retransmitMult: 4,
      piggybackUpdatesMax: 16,
      pushPullIntervalMs: 30_000,
      reconnectIntervalMs: 5_000,
      joinRetryIntervalMs: 1_000,
    });
  });

  it('scales retransmits and the suspicion timeout with log N (memberlist formulas)', () => {
    const config = resolveSwimConfig();
    expect(retransmitLimit(config, 3)).toBe(4);
    expect(retransmitLimit(config, 9)).toBe(4);
    expect(retransmitLimit(config, 10)).toBe(8);
    expect(retransmitLimit(config, 100)).toBe(12);
    expect(suspicionTimeoutMs(config, 5)).toBe(2_000);
    expect(suspicionTimeoutMs(config, 100)).toBe(4_000);
  });

  it('rejects a ping timeout that leaves no time for indirect probes', () => {
    expect(() => resolveSwimConfig({ pingTimeoutMs: 500 })).toThrow(/pingTimeoutMs/);
    expect(() => resolveSwimConfig({ indirectChecks: 100 })).toThrow(/indirectChecks/);
  });
});

describe('SwimMember', () => {
  it('acks a ping with the same seqNo, carrying its own state', () => {
    const a = newMember();
    const reply = a.receive({ type: 'ping', seqNo: 7, from: 'b', fromAddress: 'b:7000', targetId: 'a', updates: [state('b')] }, 0);
    expect(reply).toMatchObject({ type: 'ack', seqNo: 7, from: 'a', fromAddress: 'a:7000' });
    expect((reply as { updates: MemberState[] }).updates[0]).toEqual(state('a'));
    // The ping's piggy-backed news was taken in.
    expect(a.member('b')).toEqual(state('b'));
    expect(a.drain().events).toEqual([{ memberId: 'b', from: undefined, to: 'alive', member: state('b') }]);
  });

  it('does not ack a ping meant for another member at its address', () => {
    const a = newMember();
    expect(a.receive({ type: 'ping', seqNo: 1, from: 'b', fromAddress: 'b:7000', targetId: 'old-a', updates: [] }, 0)).toBeNull();
  });

  it('probes: ping, then ping-req through k others, then suspect, then dead after the suspicion timeout', () => {
    const a = memberKnowing(['b', 'c', 'd', 'e']);
    a.tick(0); // schedules the first probe within one period
    let ping: SwimMessage | undefined;
    let t = 0;
    for (; t <= PERIOD && !ping; t += 10) {
      a.tick(t);
      ping = sent(a).find((m) => m.type === 'ping');
    }
    expect(ping).toBeDefined();
    const target = (ping as { targetId: string }).targetId;
    const probeStart = t - 10;

    a.tick(probeStart + PING_TIMEOUT);
    const pingReqs = sent(a).filter((m) => m.type === 'ping-req');
    expect(pingReqs).toHaveLength(3);
    for (const m of pingReqs) expect(m).toMatchObject({ targetId: target, seqNo: (ping as { seqNo: number }).seqNo });

    a.tick(probeStart + PERIOD);
    expect(a.member(target)!.status).toBe('suspect');
    const { events, messages } = a.drain();
    expect(events).toEqual([expect.objectContaining({ memberId: target, from: 'alive', to: 'suspect' })]);

    // The next probe (this period's) goes to the suspect, telling it so; it stays suspect until the timeout.
    const next = messages.map((m) => m.message).find((m) => m.type === 'ping') as { targetId: string; updates: MemberState[] };
    expect(next.targetId).toBe(target);
    expect(next.updates).toContainEqual(state(target, 'suspect', 0));

    a.tick(probeStart + PERIOD + a.suspicionTimeoutMs());
    expect(a.member(target)!.status).toBe('dead');
    // Dead is still a member: only remove() forgets it.
    expect(a.members().map((m) => m.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('an ack (direct or relayed) ends the probe', () => {
    const a = memberKnowing(['b', 'c']);
    let ping: { seqNo: number; targetId: string } | undefined;
    for (let t = 0; t <= PERIOD && !ping; t += 10) {
      a.tick(t);
      ping = sent(a).find((m) => m.type === 'ping') as typeof ping;
    }
    a.receive({ type: 'ack', seqNo: ping!.seqNo, from: 'c', fromAddress: 'c:7000', updates: [] }, PERIOD);
    a.tick(3 * PERIOD);
    expect(a.members().every((m) => m.status === 'alive')).toBe(true);
  });

  it('relays a ping-req: pings the target and forwards its ack under the requester seqNo', () => {
    const b = newMember('b');
    b.receive(
      { type: 'ping-req', seqNo: 41, from: 'a', fromAddress: 'a:7000', targetId: 'c', targetAddress: 'c:7000', updates: [state('a'), state('c')] },
      0,
    );
    const [out] = b.drain().messages.filter((m) => m.message.type === 'ping');
    expect(out.toAddress).toBe('c:7000');
    const ping = out.message as { seqNo: number; targetId: string };
    expect(ping.targetId).toBe('c');

    b.receive({ type: 'ack', seqNo: ping.seqNo, from: 'c', fromAddress: 'c:7000', updates: [state('c', 'alive', 3)] }, 10);
    const [relayed] = b.drain().messages;
    expect(relayed.toAddress).toBe('a:7000');
    expect(relayed.message).toMatchObject({ type: 'ack', seqNo: 41 });
    // The target's own news travels with it (a refutation reaches the requester directly).
    expect((relayed.message as { updates: MemberState[] }).updates).toContainEqual(state('c', 'alive', 3));
  });

  it('refutes a suspicion about itself by outbidding its incarnation', () => {
    const a = memberKnowing(['b']);
    a.receive(gossip([state('a', 'suspect', 0)]), 0);
    expect(a.incarnation).toBe(1);
    expect(a.member('a')!.status).toBe('alive');
    const ack = a.receive({ type: 'ping', seqNo: 1, from: 'b', fromAddress: 'b:7000', targetId: 'a', updates: [] }, 1);
    expect((ack as { updates: MemberState[] }).updates).toContainEqual(state('a', 'alive', 1));

    // A stale claim (older incarnation) needs no refutation.
    a.receive(gossip([state('a', 'dead', 0)]), 2);
    expect(a.incarnation).toBe(1);
    // A death at its own incarnation does.
    a.receive(gossip([state('a', 'dead', 1)]), 3);
    expect(a.incarnation).toBe(2);
  });

  it('refutes an older identity: a restart at a new address outbids what the cluster remembers', () => {
    const a = new SwimMember({ id: 'a', zone: 'zone-a', role: 'storage', address: 'a:7001' }, {}, seededRandom(1));
    a.receive(gossip([{ ...state('a', 'alive', 4), address: 'a:7000' }]), 0);
    expect(a.member('a')).toEqual({ ...state('a', 'alive', 5), address: 'a:7001' });
  });

  describe('incarnations move by bounded steps (issue 13: a forged 2^53 - 1 made every node dead)', () => {
    it('refuses a message whose incarnation exceeds INCARNATION_MAX', () => {
      expect(() => parseSwimMessage(gossip([state('b', 'dead', Number.MAX_SAFE_INTEGER)]))).toThrow(/incarnation exceeds/);
      expect(() => parseSwimMessage(gossip([state('b', 'dead', INCARNATION_MAX)]))).not.toThrow();
    });

    it('takes a claim far ahead of what it holds as INCARNATION_STEP_MAX ahead, and a death it never saw as a suspicion', () => {
      const a = memberKnowing(['b', 'c']);
      a.receive(gossip([state('b', 'dead', INCARNATION_MAX)]), 0);
      expect(a.member('b')).toEqual(state('b', 'suspect', INCARNATION_STEP_MAX));
      expect(a.incarnationsBounded).toBe(1);
      // b hears it, refutes one above, and is alive again everywhere.
      a.receive(gossip([state('b', 'alive', INCARNATION_STEP_MAX + 1)], 'b'), 1);
      expect(a.member('b')).toEqual(state('b', 'alive', INCARNATION_STEP_MAX + 1));
      // A small jump is news as before, and a death at the incarnation it holds is a death.
      a.receive(gossip([state('c', 'alive', 3)]), 2);
      expect(a.member('c')).toEqual(state('c', 'alive', 3));
      a.receive(gossip([state('c', 'dead', 3)]), 3);
      expect(a.member('c')!.status).toBe('dead');
    });

    it('outbids a forged claim about itself by a bounded step, where a refutation is still a valid message', () => {
      const a = memberKnowing(['b']);
      a.receive(gossip([state('a', 'dead', INCARNATION_MAX)]), 0);
      expect(a.incarnation).toBe(INCARNATION_STEP_MAX + 1);
      expect(a.member('a')!.status).toBe('alive');
      expect(() => parseSwimMessage(gossip([a.member('a')!]))).not.toThrow();
    });

    it('a restarted member climbs to the incarnation the cluster remembers in bounded steps', () => {
      const a = newMember();
      const remembered = 3 * INCARNATION_STEP_MAX + 5;
      let rounds = 0;
      while (a.incarnation <= remembered) {
        a.receive(gossip([state('a', 'dead', remembered)], 'b'), rounds);
        rounds++;
      }
      expect(a.incarnation).toBe(remembered + 1);
      expect(rounds).toBe(4);
    });
  });

  it('tells a member it believes not alive what it believes, so that it can refute', () => {
    const a = memberKnowing(['b', 'c']);
    a.receive(gossip([state('b', 'dead', 0)]), 0);
    const ack = a.receive({ type: 'ping', seqNo: 1, from: 'b', fromAddress: 'b:7000', targetId: 'a', updates: [] }, 1);
    expect((ack as { updates: MemberState[] }).updates).toContainEqual(state('b', 'dead', 0));
  });

  it('piggy-backs an update at most retransmitLimit times', () => {
    const a = memberKnowing(['b', 'c']);
    a.receive(gossip([state('x', 'alive', 0)]), 0);
    let carried = 0;
    for (let i = 0; i < 20; i++) {
      const ack = a.receive({ type: 'ping', seqNo: i, from: 'b', fromAddress: 'b:7000', targetId: 'a', updates: [] }, i);
      if ((ack as { updates: MemberState[] }).updates.some((u) => u.id === 'x')) carried++;
    }
    expect(carried).toBe(a.retransmitLimit());
  });

  it('joins through seeds with a full-state sync, skipping its own address, and retries while alone', () => {
    const a = newMember();
    a.join(['a:7000', 'seed1:7000', 'seed2:7000', 'seed1:7000']);
    const first = a.drain().messages;
    expect(first.map((m) => [m.toAddress, m.message.type])).toEqual([
      ['seed1:7000', 'sync'],
      ['seed2:7000', 'sync'],
    ]);
    expect((first[0].message as { members: MemberState[] }).members).toEqual([state('a')]);
    a.tick(0);
    a.drain();
    a.tick(DEFAULT_SWIM_CONFIG.joinRetryIntervalMs);
    expect(sent(a).filter((m) => m.type === 'sync')).toHaveLength(2);

    // Once a sync-reply brings others, no more retries.
    a.receive({ type: 'sync-reply', from: 'seed1', fromAddress: 'seed1:7000', members: [state('seed1'), state('b')] }, 1_001);
    expect(a.members().map((m) => m.id)).toEqual(['a', 'b', 'seed1']);
    a.drain();
    a.tick(2 * DEFAULT_SWIM_CONFIG.joinRetryIntervalMs + 1);
    expect(sent(a).filter((m) => m.type === 'sync')).toHaveLength(0);
  });

  it('answers a sync with its full state', () => {
    const a = memberKnowing(['b']);
    const reply = a.receive({ type: 'sync', from: 'c', fromAddress: 'c:7000', join: true, members: [state('c')] }, 0);
    expect(reply).toMatchObject({ type: 'sync-reply', members: [state('a'), state('b'), state('c')] });
  });

  it('does not let a synced view make it suspect a member it holds alive at that incarnation', () => {
    const a = memberKnowing(['b', 'c']);
    a.receive({ type: 'sync', from: 'c', fromAddress: 'c:7000', join: false, members: [state('b', 'dead', 0)] }, 0);
    expect(a.member('b')!.status).toBe('alive');
    // A newer death is news, taken as a suspicion (memberlist's push-pull merge).
    a.receive({ type: 'sync', from: 'c', fromAddress: 'c:7000', join: false, members: [state('b', 'dead', 1)] }, 0);
    expect(a.member('b')).toEqual(state('b', 'suspect', 1));
  });

  it('leaves gracefully: left at a new incarnation, told to live members, never refuted, no more probes', () => {
    const a = memberKnowing(['b', 'c']);
    a.receive(gossip([state('d', 'dead', 0)]), 0);
    a.drain();
    a.leave();
    const { messages, events } = a.drain();
    expect(events).toEqual([{ memberId: 'a', from: 'alive', to: 'left', member: state('a', 'left', 1) }]);
    expect(messages.map((m) => m.toAddress).sort()).toEqual(['b:7000', 'c:7000']);
    for (const m of messages) expect(m.message).toMatchObject({ type: 'gossip', updates: [state('a', 'left', 1)] });

    a.receive(gossip([state('a', 'dead', 5)]), 1);
    expect(a.member('a')).toEqual(state('a', 'left', 1));
    for (let t = 0; t < 10 * PERIOD; t += 100) a.tick(t);
    expect(sent(a).filter((m) => m.type === 'ping')).toEqual([]);
  });

  it('remove() forgets a member for good; stale gossip cannot bring it back, a newer incarnation can', () => {
    const a = memberKnowing(['b', 'c']);
    a.receive(gossip([state('c', 'dead', 2)]), 0);
    expect(a.remove('c')).toBe(true);
    expect(a.remove('c')).toBe(false);
    expect(a.member('c')).toBeUndefined();
    a.receive(gossip([state('c', 'alive', 2)]), 1);
    a.receive({ type: 'sync', from: 'b', fromAddress: 'b:7000', join: false, members: [state('c', 'dead', 2)] }, 1);
    expect(a.member('c')).toBeUndefined();
    a.receive(gossip([state('c', 'alive', 3)]), 2);
    expect(a.member('c')).toEqual(state('c', 'alive', 3));
    expect(() => a.remove('a')).toThrow(/itself/);
  });
});

describe('parseSwimMessage', () => {
  it('accepts a well-formed message and drops unknown fields', () => {
    const message = parseSwimMessage({ type: 'ack', seqNo: 3, from: 'a', fromAddress: 'a:1', updates: [state('b')], extra: 1 });
    expect(message).toEqual({ type: 'ack', seqNo: 3, from: 'a', fromAddress: 'a:1', updates: [state('b')] });
  });

  it.each([
    ['not an object', 'ping'],
    ['an unknown type', { type: 'hello', from: 'a', fromAddress: 'a:1' }],
    ['a negative seqNo', { type: 'ping', seqNo: -1, from: 'a', fromAddress: 'a:1', targetId: 'b', updates: [] }],
    ['a bad status', { type: 'gossip', from: 'a', fromAddress: 'a:1', updates: [{ ...state('b'), status: 'zombie' }] }],
    ['a bad role', { type: 'gossip', from: 'a', fromAddress: 'a:1', updates: [{ ...state('b'), role: 'king' }] }],
    ['too many updates', { type: 'gossip', from: 'a', fromAddress: 'a:1', updates: Array.from({ length: 65 }, () => state('b')) }],
    ['an empty id', { type: 'gossip', from: '', fromAddress: 'a:1', updates: [] }],
  ])('rejects %s', (_why, value) => {
    expect(() => parseSwimMessage(value)).toThrow(InvalidSwimMessageError);
  });
});
