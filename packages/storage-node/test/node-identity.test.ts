import { Simulator } from '@triad/runtime';
import { IDENTITY_ASK_WARN_AFTER_MS, askPeersOurGeneration, decideIdentity } from '../src/replica/node-identity';

/**
 * A node that starts without data asks its peers whether they saw it before. Seed 58 of
 * `npm run sim -- --steps 30 --moves --indexes`: a wiped node whose peers were down or cut off got
 * no answer for 5 s, decided it was new (generation 1, a voter), and its vote with a lagging
 * replica's elected a leader without three acknowledged increments. Silence is not an answer.
 */
describe('a node without data asks its peers what they saw of it', () => {
  /** Peers that answer `generation` from `answersFromMs` on (true time), refuse the call before. */
  function peersSilentUntil(sim: Simulator, answersFromMs: number, generation: number) {
    const asked: string[] = [];
    const ping = (peer: string) => {
      asked.push(peer);
      return sim.nowMs >= answersFromMs ? Promise.resolve(generation) : Promise.reject(new Error(`${peer} unreachable`));
    };
    return { asked, ping };
  }

  test('with every peer silent it keeps asking, well past the old 5 s, and decides only on an answer: a lost disk, a learner', async () => {
    const sim = new Simulator(1);
    const env = sim.environment({ name: 'wiped' });
    const { asked, ping } = peersSilentUntil(sim, 20_000, 1);
    const silences: number[] = [];
    let answer: number[] | undefined;
    void askPeersOurGeneration(['storage-a', 'storage-b'], ping, env, (waitedMs) => silences.push(waitedMs)).then((known) => (answer = known));

    await sim.advanceTo(19_000);
    expect(answer).toBeUndefined(); // the old code decided "never had data" here, at 5 s
    expect(silences).toHaveLength(1); // said once why it is not ready
    expect(silences[0]).toBeGreaterThanOrEqual(IDENTITY_ASK_WARN_AFTER_MS);
    expect(asked.length).toBeGreaterThan(2 * 10);

    await sim.advanceTo(21_000);
    expect(answer).toEqual([1, 1]);
    expect(decideIdentity('storage-c', undefined, answer!)).toEqual({ identity: { nodeId: 'storage-c', generation: 2 }, learner: true });
  });

  test('one answering peer is enough, and a node alone in its layout decides at once', async () => {
    const sim = new Simulator(2);
    const env = sim.environment({ name: 'wiped' });
    const ping = (peer: string) => (peer === 'storage-a' ? Promise.resolve(3) : Promise.reject(new Error('down')));
    await expect(askPeersOurGeneration(['storage-a', 'storage-b'], ping, env, () => undefined)).resolves.toEqual([3]);
    await expect(askPeersOurGeneration([], ping, env, () => undefined)).resolves.toEqual([]);
  });

  test('peers of a new cluster that never saw the node answer 0: a first start, a voter', async () => {
    const sim = new Simulator(3);
    const env = sim.environment({ name: 'new' });
    const known = await askPeersOurGeneration(['storage-a', 'storage-b'], () => Promise.resolve(0), env, () => undefined);
    expect(decideIdentity('storage-c', undefined, known)).toEqual({ identity: { nodeId: 'storage-c', generation: 1 }, learner: false });
  });
});
