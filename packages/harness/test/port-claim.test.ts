/** Port banks: two clusters of one slot at once never share a port (no cluster is started here). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BANK_STRIDE_PORTS, claimPorts, clusterPorts, slotBasePorts, type PortClaim } from '../src/port-claim';

const SLOT = 28;
const claims: PortClaim[] = [];

async function claim(): Promise<PortClaim> {
  const c = await claimPorts(SLOT, slotBasePorts(SLOT), 3, 1);
  claims.push(c);
  return c;
}

afterEach(() => {
  for (const c of claims.splice(0)) c.release();
});

test('a second claim of a slot gets another bank, whose ports are all different', async () => {
  const first = await claim();
  const second = await claim();
  expect(second.bank).toBeGreaterThan(first.bank);
  expect(second.basePort - first.basePort).toBe((second.bank - first.bank) * BANK_STRIDE_PORTS);
  const ports = (c: PortClaim) => clusterPorts({ ...c, storageNodes: BANK_STRIDE_PORTS, routers: BANK_STRIDE_PORTS });
  const overlap = ports(first).filter((p) => ports(second).includes(p));
  expect(overlap).toEqual([]);
});

test('a released bank is taken again', async () => {
  const first = await claim();
  first.release();
  expect((await claim()).bank).toBe(first.bank);
});

test('a bank whose ports something else listens on is skipped, claimed or not', async () => {
  const probe = await claim();
  probe.release();
  // A process that does not claim (an older checkout) holds the router port of that bank.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen({ port: probe.routerPort, host: '::' }, resolve));
  try {
    const next = await claim();
    expect(next.bank).not.toBe(probe.bank);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test('a claim left by a process that died is taken over', async () => {
  const probe = await claim();
  probe.release();
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const file = path.join(os.tmpdir(), 'triad-test-ports', `slot-${SLOT}-bank-${probe.bank}.pid`);
  fs.writeFileSync(file, dead.stdout.trim());
  expect((await claim()).bank).toBe(probe.bank);
  expect(fs.readFileSync(file, 'utf8')).toBe(String(process.pid));
});
