/**
 * A cluster started on ports that another cluster already holds does not fail at once: its
 * processes exit with EADDRINUSE, but LocalCluster's start-up ping is answered by the other
 * cluster's nodes, and the run then tests someone else's cluster. So chaos runs check first.
 */
import net from 'node:net';
import type { LocalClusterOptions } from '../../scripts/local-cluster/local-cluster';
import { slotBasePorts } from '../support/test-cluster';

/** Every port a LocalCluster with these options listens on. */
export function clusterPorts(options: Pick<LocalClusterOptions, 'routerPort' | 'basePort' | 'storageNodes' | 'routers'>): number[] {
  const ports: number[] = [];
  for (let i = 0; i < options.storageNodes; i++) ports.push(options.basePort + i, options.basePort + 100 + i);
  for (let j = 0; j < options.routers; j++) ports.push(options.routerPort + j, options.basePort + 50 + j);
  return ports;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws, naming them, if any of the ports is taken on 127.0.0.1 (where the cluster's processes listen). */
export async function assertPortsFree(ports: readonly number[], what: string): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) if (!(await portFree(port, '127.0.0.1'))) taken.push(port);
  if (taken.length > 0) {
    throw new Error(`${what}: ports ${taken.join(', ')} are in use — is another run of it (or another cluster) still going? Starting would test that cluster instead.`);
  }
}

/** The ports of a test-cluster slot (see test-cluster/support/test-cluster.ts): 3 storage nodes and 1 router. */
export function slotPorts(slot: number): number[] {
  return clusterPorts({ ...slotBasePorts(slot), storageNodes: 3, routers: 1 });
}
