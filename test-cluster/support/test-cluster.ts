import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_OPTIONS, LocalCluster, TEST_CLUSTER_SLOTS, TEST_CREDENTIALS, claimPorts, patienceMs, slotBasePorts, type LocalClusterOptions } from '@triad/harness';

/** The storage node ids of the default three-zone cluster, and its router. */
export const STORAGE_NODE_IDS = ['storage-a-1', 'storage-b-1', 'storage-c-1'] as const;
export const ROUTER_ID = 'router-1';

/**
 * A real cluster for one test file: 3 storage nodes (zones a, b, c) and 1 router as separate
 * processes, in a fresh temporary directory. Each test file takes its own `slot` (0-39), which picks
 * its ports (see slotBasePorts). No two slots share a port, and none meets a dev cluster on the
 * default ports (8000, 7100-7202). A run of the same file elsewhere on the machine at the same time
 * (another clone's `npm test`) holds the slot's first ports: the cluster then takes the slot's next
 * free bank of ports (see @triad/harness's port-claim.ts).
 */
export interface TestCluster {
  cluster: LocalCluster;
  dataDir: string;
  /** The router's DynamoDB endpoint. */
  endpoint: string;
  /** Processes that exited without the test asking them to ("id code=… signal=…"). */
  unexpectedExits: string[];
  /** Stops every process and removes the data directory (kept when TRIAD_TEST_KEEP_DATA=1). */
  stop(): Promise<void>;
}

export async function startTestCluster(slot: number, overrides: Partial<LocalClusterOptions> = {}): Promise<TestCluster> {
  if (!Number.isInteger(slot) || slot < 0 || slot >= TEST_CLUSTER_SLOTS) {
    throw new Error(`test cluster slot must be 0-${TEST_CLUSTER_SLOTS - 1}, got ${slot}`);
  }
  const claim = await claimPorts(slot, slotBasePorts(slot), overrides.storageNodes ?? DEFAULT_OPTIONS.storageNodes, overrides.routers ?? DEFAULT_OPTIONS.routers);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `triad-cluster-test-${slot}-`));
  // TRIAD_TEST_AUTH=enforce runs the suite with authentication enforced: the routers seed the key
  // the test clients sign with (TEST_CREDENTIALS, admin). A test that sets `auth` itself keeps it.
  const auth = overrides.auth ?? (process.env.TRIAD_TEST_AUTH === 'enforce' ? { mode: 'enforce' as const, credentialsFile: testCredentialsFile(dataDir) } : undefined);
  const cluster = new LocalCluster({
    ...DEFAULT_OPTIONS,
    dataDir,
    routerPort: claim.routerPort,
    basePort: claim.basePort,
    partitions: 16,
    startTimeoutMs: patienceMs(60_000),
    // Mutual TLS on every gRPC channel, as production runs; TRIAD_TEST_GRPC_INSECURE=1 runs plaintext (to compare, or to debug).
    grpcTls: process.env.TRIAD_TEST_GRPC_INSECURE !== '1',
    ...overrides,
    auth,
  });
  const unexpectedExits: string[] = [];
  cluster.onUnexpectedExit = (id, code, signal) => unexpectedExits.push(`${id} code=${code} signal=${signal}`);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await cluster.stop();
    } finally {
      claim.release();
    }
    if (process.env.TRIAD_TEST_KEEP_DATA === '1') {
      console.log(`cluster data and logs kept in ${dataDir}`);
    } else {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    await cluster.start();
  } catch (error) {
    await stop().catch(() => undefined);
    throw new Error(`${(error as Error).message} (logs in ${dataDir}/logs; set TRIAD_TEST_KEEP_DATA=1 to keep them)`);
  }
  return { cluster, dataDir, endpoint: cluster.endpoint(0), unexpectedExits, stop };
}

function testCredentialsFile(dataDir: string): string {
  const file = path.join(dataDir, 'test-credentials');
  fs.writeFileSync(file, `${TEST_CREDENTIALS.accessKeyId} ${TEST_CREDENTIALS.secretAccessKey} admin\n`, { mode: 0o600 });
  return file;
}

/** The last lines of a process's log, for failure messages. */
export function logTail(dataDir: string, id: string, lines = 30): string {
  const file = path.join(dataDir, 'logs', `${id}.log`);
  if (!fs.existsSync(file)) return `(no log for ${id})`;
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
