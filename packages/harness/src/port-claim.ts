/**
 * Ports for a test cluster that no other cluster on this machine holds. A slot (see
 * slotBasePorts) keeps two files of one run apart, but not two runs: a second `npm test` of another
 * clone, or another engineer running the same file, would start on the same ports. Its processes
 * then exit with EADDRINUSE while LocalCluster's start-up ping is answered by the other run's
 * nodes, and the test goes on against someone else's cluster (tables that already exist, nodes it
 * cannot kill, writes that vanish). So each slot has a few banks of ports, and a cluster takes the
 * first bank that no live process has claimed (a claim file holding its pid) and whose ports are
 * free (a process that does not claim, such as an older checkout, still shows by its ports).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LocalClusterOptions } from './local-cluster/local-cluster';

/** Test cluster slots: each cluster test file takes its own (`SLOT`, 0-39). */
export const TEST_CLUSTER_SLOTS = 40;

/**
 * Slots 0-9: router 16000 + 100·slot, storage gRPC 17000 + 200·slot + i (router gossip 50 above,
 * metrics 100 above); slots 10-19 the same pattern from 20000 and 21000; slots 20-29 from 24000
 * and 25000, slots 30-39 from 28000 and 29000 (below Linux's ephemeral ports, which start at 32768). No two slots share a port, and
 * none meets a dev cluster on the default ports (8000, 7100-7202).
 */
export function slotBasePorts(slot: number): { routerPort: number; basePort: number } {
  const block = 4000 * Math.floor(slot / 10);
  const index = slot % 10;
  return { routerPort: 16000 + block + 100 * index, basePort: 17000 + block + 200 * index };
}

/** Banks per slot: how many runs of one test file can go at once on one machine. */
export const PORT_BANKS = 5;
/**
 * A bank's ports are its slot's shifted by bank × this. Within a slot's ports (storage gRPC at
 * basePort + i, router gossip at basePort + 50 + j, metrics at basePort + 100 + i, router HTTP at
 * routerPort + j), banks do not overlap while a cluster has at most this many storage nodes (extra
 * ones started by a test included) and routers.
 */
export const BANK_STRIDE_PORTS = 10;
export const CLUSTER_PROCESSES_MAX = BANK_STRIDE_PORTS;
/** Where claim files live: one per slot and bank, holding the claiming process's pid. */
const CLAIM_DIR = path.join(os.tmpdir(), 'triad-test-ports');

type Ports = Pick<LocalClusterOptions, 'routerPort' | 'basePort'>;

/** Every port a LocalCluster with these options listens on. */
export function clusterPorts(options: Pick<LocalClusterOptions, 'routerPort' | 'basePort' | 'storageNodes' | 'routers'>): number[] {
  const ports: number[] = [];
  for (let i = 0; i < options.storageNodes; i++) ports.push(options.basePort + i, options.basePort + 100 + i);
  for (let j = 0; j < options.routers; j++) ports.push(options.routerPort + j, options.basePort + 50 + j);
  return ports;
}

/** Whether nothing listens on `port` (a listener on any address, IPv6 included, makes it taken). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The ports of bank `bank` of a slot whose first bank is `slotPorts`. */
export function bankPorts(slotPorts: Ports, bank: number): Ports {
  return { routerPort: slotPorts.routerPort + bank * BANK_STRIDE_PORTS, basePort: slotPorts.basePort + bank * BANK_STRIDE_PORTS };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the claim file; false if a live process holds it. A dead holder's claim is taken over. */
function takeClaim(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return false;
    // Left behind by a run that was killed: remove it and try once more (another process may win).
    fs.rmSync(file, { force: true });
  }
  return false;
}

export interface PortClaim extends Ports {
  bank: number;
  /** Gives the bank back (idempotent); call once the cluster's processes have exited. */
  release(): void;
}

/**
 * Claims the first bank of the slot whose claim is free and whose ports nothing listens on, for a
 * cluster of `storageNodes` storage nodes and `routers` routers.
 */
export async function claimPorts(slot: number, slotPorts: Ports, storageNodes: number, routers: number): Promise<PortClaim> {
  if (storageNodes > CLUSTER_PROCESSES_MAX || routers > CLUSTER_PROCESSES_MAX) {
    throw new Error(`a test cluster has at most ${CLUSTER_PROCESSES_MAX} storage nodes and ${CLUSTER_PROCESSES_MAX} routers (port banks)`);
  }
  fs.mkdirSync(CLAIM_DIR, { recursive: true });
  const busy: string[] = [];
  for (let bank = 0; bank < PORT_BANKS; bank++) {
    const file = path.join(CLAIM_DIR, `slot-${slot}-bank-${bank}.pid`);
    if (!takeClaim(file)) {
      busy.push(`bank ${bank}: claimed by pid ${fs.readFileSync(file, 'utf8').trim()}`);
      continue;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // Only our own claim: a claim taken over after we died is another process's.
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
    };
    const ports = bankPorts(slotPorts, bank);
    const taken: number[] = [];
    for (const port of clusterPorts({ ...ports, storageNodes, routers })) if (!(await portFree(port))) taken.push(port);
    if (taken.length === 0) return { ...ports, bank, release };
    release();
    busy.push(`bank ${bank}: ports ${taken.join(', ')} in use`);
  }
  throw new Error(`test-cluster slot ${slot}: every port bank is in use (is this file running ${PORT_BANKS} times at once?)\n${busy.join('\n')}`);
}
