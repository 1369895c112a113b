import type * as grpc from '@grpc/grpc-js';
import { INSECURE } from '@triad/rpc';
import { GrpcMembershipTransport, MembershipAgent, startMembershipServer, type MemberStatus, type SwimConfig } from '../src';

/**
 * Real agents over real gRPC on loopback. Synchronisation is by polling with a deadline, never by
 * sleeping: a run is as fast as the protocol allows and fails with what it was waiting for.
 */

jest.setTimeout(30_000);

/** Faster than the defaults so that the test takes seconds; the same ratios (ping timeout < period). */
const SWIM: Partial<SwimConfig> = { protocolPeriodMs: 200, pingTimeoutMs: 80 };
const TICK_MS = 20;
/** Detection takes a probe round, the suspicion timeout (4 periods here) and dissemination: ~2 s. */
const DETECT_MS_MAX = 8_000;

interface RunningAgent {
  agent: MembershipAgent;
  server: grpc.Server;
  address: string;
  changes: { id: string; from: MemberStatus | undefined; to: MemberStatus }[];
}

async function startAgent(index: number, seeds: string[]): Promise<RunningAgent> {
  let agent: MembershipAgent | undefined;
  // Port 0: the OS picks a free port; the agent is created once we know it.
  const { server, port } = await startMembershipServer('127.0.0.1:0', {
    handleGossip: (message, fromAddress) => (agent ? agent.handleGossip(message, fromAddress) : null),
  }, INSECURE);
  const address = `127.0.0.1:${port}`;
  agent = new MembershipAgent(
    {
      self: { id: `node-${index}`, zone: `zone-${index % 3}`, role: index === 0 ? 'router' : 'storage', address },
      seeds,
      swim: SWIM,
      tickIntervalMs: TICK_MS,
    },
    { transport: new GrpcMembershipTransport(address, INSECURE) },
  );
  const running: RunningAgent = { agent, server, address, changes: [] };
  agent.on('change', (member, from) => running.changes.push({ id: member.id, from, to: member.status }));
  agent.start();
  return running;
}

async function waitFor(what: string, condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function statusOf(running: RunningAgent, id: string): MemberStatus | undefined {
  return running.agent.member(id)?.status;
}

describe('MembershipAgent over gRPC', () => {
  const agents: RunningAgent[] = [];

  afterAll(async () => {
    await Promise.all(agents.map((running) => running.agent.stop({ leave: false })));
    for (const running of agents) running.server.forceShutdown();
  });

  it('converges: four agents see four alive members', async () => {
    agents.push(await startAgent(0, []));
    // Each joins through the first; a seed that is down (port 1) is harmless.
    const seeds = [agents[0].address];
    for (let i = 1; i < 4; i++) agents.push(await startAgent(i, [...seeds, `127.0.0.1:1`]));
    await waitFor(
      'all four alive everywhere',
      () => agents.every((a) => a.agent.members().length === 4 && a.agent.members().every((m) => m.status === 'alive')),
      DETECT_MS_MAX,
    );
    const view = agents[2].agent.member('node-0')!;
    expect(view).toMatchObject({ id: 'node-0', zone: 'zone-0', role: 'router', address: agents[0].address, status: 'alive' });
  });

  it('sees a member that stops answering as dead, and keeps it listed', async () => {
    const victim = agents[3];
    // A crash: the server goes away mid-connection, no leave is sent.
    victim.server.forceShutdown();
    await victim.agent.stop({ leave: false });
    const others = agents.slice(0, 3);
    await waitFor('node-3 dead everywhere', () => others.every((a) => statusOf(a, 'node-3') === 'dead'), DETECT_MS_MAX);
    for (const observer of others) {
      // Dead, not forgotten: the ring keeps its data there.
      expect(observer.agent.members().map((m) => m.id)).toContain('node-3');
      expect(observer.changes.filter((c) => c.id === 'node-3').at(-1)).toEqual({ id: 'node-3', from: expect.any(String), to: 'dead' });
    }
    // Someone suspected it before anyone declared it dead.
    expect(others.some((o) => o.changes.some((c) => c.id === 'node-3' && c.to === 'suspect'))).toBe(true);
    // Nobody else was declared dead (a passing suspicion under CPU load is SWIM working: it is refuted).
    for (const o of others) expect(o.changes.filter((c) => c.id !== 'node-3' && c.to === 'dead')).toEqual([]);
    await waitFor(
      'the others alive everywhere',
      () => others.every((o) => others.every((m) => statusOf(o, m.agent.id) === 'alive')),
      DETECT_MS_MAX,
    );
  });

  it('takes back a restarted member at its new address, with a higher incarnation', async () => {
    const deadIncarnation = agents[0].agent.member('node-3')!.incarnation;
    const restarted = await startAgent(3, [agents[0].address]);
    agents.push(restarted);
    await waitFor(
      'node-3 alive again at its new address',
      () =>
        agents.slice(0, 3).every((a) => {
          const m = a.agent.member('node-3');
          return m?.status === 'alive' && m.address === restarted.address;
        }),
      DETECT_MS_MAX,
    );
    expect(agents[1].agent.member('node-3')!.incarnation).toBeGreaterThan(deadIncarnation);
  });

  it('reports a graceful leave as left', async () => {
    const leaver = agents[2];
    await leaver.agent.stop(); // leave by default
    leaver.server.forceShutdown();
    const remaining = [agents[0], agents[1], agents[4]];
    await waitFor('node-2 left everywhere', () => remaining.every((a) => statusOf(a, 'node-2') === 'left'), DETECT_MS_MAX);
    for (const observer of remaining) {
      expect(observer.changes.filter((c) => c.id === 'node-2').at(-1)).toMatchObject({ id: 'node-2', to: 'left' });
      expect(observer.changes.some((c) => c.id === 'node-2' && c.to === 'dead')).toBe(false);
    }
  });
});
