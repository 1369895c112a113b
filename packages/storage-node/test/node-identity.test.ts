import { Simulator } from '@triad/runtime';
import {
  IDENTITY_ASK_WARN_AFTER_MS,
  askPeersOurGeneration,
  decideIdentity,
  judgeIdentityAnswers,
  type AskedLayout,
  type IdentityAnswer,
  type IdentityAsking,
} from '../src/replica/node-identity';

interface Peer {
  id: string;
}
const node = (id: string): Peer => ({ id });
const layout = (epoch: number, ...ids: string[]) => ({ epoch, nodes: ids.map(node) });

/** Peers that answer as `answer` says (undefined: no answer, the call rejects), with the layouts they can hand over. */
function asking(
  answer: (peer: string) => IdentityAnswer | undefined,
  layouts: Record<number, { epoch: number; nodes: Peer[] }> = {},
): IdentityAsking<Peer, AskedLayout<Peer>> & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ping: (peer) => {
      asked.push(peer.id);
      const a = answer(peer.id);
      return a ? Promise.resolve(a) : Promise.reject(new Error(`${peer.id} unreachable`));
    },
    newerLayout: (peer, knownEpoch) => {
      const epoch = answer(peer.id)?.layoutEpoch ?? 0;
      return Promise.resolve(epoch > knownEpoch ? layouts[epoch] : undefined);
    },
  };
}

/**
 * A node that starts without data asks its peers whether they saw it before. Seed 58 of
 * `npm run sim -- --steps 30 --moves --indexes`: a wiped node whose peers were down or cut off got
 * no answer for 5 s, decided it was new (generation 1, a voter), and its vote with a lagging
 * replica's elected a leader without three acknowledged increments. Silence is not an answer.
 */
describe('a node without data asks its peers what they saw of it', () => {
  test('with every peer silent it keeps asking, well past the old 5 s, and decides only on an answer: a lost disk, a learner', async () => {
    const sim = new Simulator(1);
    const env = sim.environment({ name: 'wiped' });
    const peers = asking(() => (sim.nowMs >= 20_000 ? { knownGeneration: 1, layoutEpoch: 0 } : undefined));
    const silences: { waitedMs: number; missing: string[] }[] = [];
    let answer: number[] | undefined;
    void askPeersOurGeneration('storage-c', layout(0, 'storage-a', 'storage-b', 'storage-c'), peers, env, (waitedMs, missing) => silences.push({ waitedMs, missing })).then(
      (findings) => (answer = findings.known),
    );

    await sim.advanceTo(19_000);
    expect(answer).toBeUndefined(); // the code before seed 58 decided "never had data" here, at 5 s
    expect(silences).toHaveLength(1); // said once why it is not ready
    expect(silences[0]!.waitedMs).toBeGreaterThanOrEqual(IDENTITY_ASK_WARN_AFTER_MS);
    expect(silences[0]!.missing).toEqual(['storage-a', 'storage-b']);
    expect(peers.asked.length).toBeGreaterThan(2 * 10);
    expect(peers.asked).not.toContain('storage-c');

    await sim.advanceTo(21_000);
    expect(answer).toEqual([1]);
    expect(decideIdentity('storage-c', undefined, answer!)).toEqual({ identity: { nodeId: 'storage-c', generation: 2 }, learner: true });
  });

  test('one peer that saw it is enough to be a learner, and a node alone in its layout is new at once', async () => {
    const sim = new Simulator(2);
    const env = sim.environment({ name: 'wiped' });
    const peers = asking((peer) => (peer === 'storage-a' ? { knownGeneration: 3, layoutEpoch: 0 } : undefined));
    await expect(askPeersOurGeneration('storage-c', layout(0, 'storage-a', 'storage-b', 'storage-c'), peers, env, () => undefined)).resolves.toEqual({ known: [3] });
    await expect(askPeersOurGeneration('storage-c', layout(0, 'storage-c'), peers, env, () => undefined)).resolves.toEqual({ known: [] });
  });

  test('peers of a new cluster that never saw the node answer 0: a first start, a voter, once every one of them answered', async () => {
    const sim = new Simulator(3);
    const env = sim.environment({ name: 'new' });
    // storage-b's server is not up yet at the first ask (nodes of a new cluster start together).
    const peers = asking((peer) => (peer === 'storage-a' || sim.nowMs >= 100 ? { knownGeneration: 0, layoutEpoch: 0 } : undefined));
    let known: number[] | undefined;
    void askPeersOurGeneration('storage-c', layout(0, 'storage-a', 'storage-b', 'storage-c'), peers, env, () => undefined).then((k) => (known = k.known));
    await sim.advanceTo(50);
    expect(known).toBeUndefined(); // storage-a's 0 alone proves nothing
    await sim.advanceTo(1_000);
    expect(known).toEqual([]);
    expect(decideIdentity('storage-c', undefined, known!)).toEqual({ identity: { nodeId: 'storage-c', generation: 1 }, learner: false });
    // storage-a answered in the first round: it is not asked again.
    expect(peers.asked.filter((p) => p === 'storage-a')).toHaveLength(1);
  });

  /**
   * Seed 52 of `npm run sim -- --seeds 100 --steps 30 --moves --indexes` on main at da30dc4:
   * storage-d joined (epoch 1), storage-a was decommissioned (epoch 9), then wiped, and came back
   * knowing nothing of storage-b. storage-b was wiped while storage-c was down and storage-d cut
   * off; its layout file (epoch 0) names storage-a, storage-b and storage-c. It took storage-a's
   * "never saw you" as proof of a first start, came back a voter with no memory of its vote in
   * term 10 of partition 4, and voted there again: two leaders in term 10.
   */
  test('seed 52: a 0 from a node that left the layout (itself wiped) proves nothing; the newest layout\'s nodes are asked too, and one saw it', async () => {
    const sim = new Simulator(4);
    const env = sim.environment({ name: 'storage-b' });
    const cUp = 2_000;
    const dReachable = 1_000;
    const newest = layout(9, 'storage-b', 'storage-c', 'storage-d');
    const peers = asking(
      (peer) => {
        if (peer === 'storage-a') return { knownGeneration: 0, layoutEpoch: 9 }; // decommissioned, wiped
        if (peer === 'storage-c') return sim.nowMs >= cUp ? { knownGeneration: 1, layoutEpoch: 9 } : undefined;
        if (peer === 'storage-d') return sim.nowMs >= dReachable ? { knownGeneration: 1, layoutEpoch: 9 } : undefined;
        return undefined;
      },
      { 9: newest },
    );
    // The decision the code before this change took on the first round's answers.
    expect(decideIdentity('storage-b', undefined, [0])).toEqual({ identity: { nodeId: 'storage-b', generation: 1 }, learner: false });

    let known: number[] | undefined;
    void askPeersOurGeneration('storage-b', layout(0, 'storage-a', 'storage-b', 'storage-c'), peers, env, () => undefined).then((k) => (known = k.known));
    await sim.advanceTo(dReachable - 1);
    expect(known).toBeUndefined();
    await sim.advanceTo(dReachable + 500);
    expect(known).toEqual([1]); // storage-d (not in the layout file) saw generation 1
    expect(decideIdentity('storage-b', undefined, known!)).toEqual({ identity: { nodeId: 'storage-b', generation: 2 }, learner: true });
    expect(peers.asked).toContain('storage-d');
  });

  /**
   * Seed 80 of `npm run sim -- --seeds 100 --steps 30 --moves --indexes` (this branch, before the
   * newest layout was adopted at start): storage-d, which joined, was wiped; it started from its
   * layout file (epoch 0, which does not name it), learned that it lost its data, marked the
   * partitions the file gives it — none — and adopted epoch 9 a second later: a voter of five
   * partitions with empty logs, and partition 0 had two leaders in term 4.
   */
  test('seed 80: a node known to have lost its data still learns the newest layout, whose partitions it marks', async () => {
    const sim = new Simulator(5);
    const env = sim.environment({ name: 'storage-d' });
    const newest = layout(9, 'storage-b', 'storage-c', 'storage-d');
    const peers = asking((peer) => (peer === 'storage-b' ? undefined : { knownGeneration: 1, layoutEpoch: 9 }), { 9: newest });
    const findings = await askPeersOurGeneration('storage-d', layout(0, 'storage-a', 'storage-b', 'storage-c'), peers, env, () => undefined);
    expect(findings).toEqual({ known: [1], newerLayout: newest });
  });
});

describe('judgeIdentityAnswers: when a node without data may call itself new', () => {
  const zero = (layoutEpoch = 0): IdentityAnswer => ({ knownGeneration: 0, layoutEpoch });
  const answers = (entries: Record<string, IdentityAnswer>) => new Map(Object.entries(entries));
  const abc = { epoch: 0, nodes: ['storage-a', 'storage-b', 'storage-c'] };

  test('any peer that saw a generation makes it a lost disk, whatever the others say', () => {
    expect(judgeIdentityAnswers('storage-c', abc, answers({ 'storage-a': zero(), 'storage-b': { knownGeneration: 2, layoutEpoch: 0 } }))).toEqual({ kind: 'lost', knownGeneration: 2 });
    expect(judgeIdentityAnswers('storage-c', abc, answers({ 'storage-x': { knownGeneration: 1, layoutEpoch: 0 } }))).toEqual({ kind: 'lost', knownGeneration: 1 });
  });

  test('a peer that follows a newer layout comes first even when the disk is known lost: the learner marks follow the newest layout', () => {
    expect(judgeIdentityAnswers('storage-c', abc, answers({ 'storage-a': { knownGeneration: 1, layoutEpoch: 7 } }))).toEqual({ kind: 'newer-layout', from: 'storage-a', epoch: 7 });
    expect(judgeIdentityAnswers('storage-c', { ...abc, epoch: 7 }, answers({ 'storage-a': { knownGeneration: 1, layoutEpoch: 7 } }))).toEqual({ kind: 'lost', knownGeneration: 1 });
  });

  test('new only when every other node of the layout answered 0; silence or no answer yet is waiting', () => {
    expect(judgeIdentityAnswers('storage-c', abc, answers({}))).toEqual({ kind: 'wait', missing: ['storage-a', 'storage-b'] });
    expect(judgeIdentityAnswers('storage-c', abc, answers({ 'storage-a': zero() }))).toEqual({ kind: 'wait', missing: ['storage-b'] });
    expect(judgeIdentityAnswers('storage-c', abc, answers({ 'storage-a': zero(), 'storage-b': zero() }))).toEqual({ kind: 'new' });
  });

  test('a peer that follows a newer layout sends the node to that layout, before any decision on zeros', () => {
    expect(judgeIdentityAnswers('storage-b', abc, answers({ 'storage-a': zero(9), 'storage-c': zero(4) }))).toEqual({ kind: 'newer-layout', from: 'storage-a', epoch: 9 });
    // Then every node it knows of must answer: the newest layout's (storage-d joined) and the layout file's (storage-a left).
    const newest = { epoch: 9, nodes: ['storage-b', 'storage-c', 'storage-d'], formerNodes: ['storage-a'] };
    expect(judgeIdentityAnswers('storage-b', newest, answers({ 'storage-a': zero(9), 'storage-c': zero(9) }))).toEqual({ kind: 'wait', missing: ['storage-d'] });
    expect(judgeIdentityAnswers('storage-b', newest, answers({ 'storage-c': zero(9), 'storage-d': zero(9) }))).toEqual({ kind: 'wait', missing: ['storage-a'] });
    expect(judgeIdentityAnswers('storage-b', newest, answers({ 'storage-a': zero(9), 'storage-c': zero(9), 'storage-d': zero(9) }))).toEqual({ kind: 'new' });
  });

  test('a node the newest layout does not name (about to join, or decommissioned) holds no partition: any answer will do', () => {
    const joined = { epoch: 3, nodes: ['storage-a', 'storage-b', 'storage-c'] };
    expect(judgeIdentityAnswers('storage-d', joined, answers({}))).toEqual({ kind: 'wait', missing: ['storage-a', 'storage-b', 'storage-c'] });
    expect(judgeIdentityAnswers('storage-d', joined, answers({ 'storage-b': zero(3) }))).toEqual({ kind: 'new' });
  });
});
