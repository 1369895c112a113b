/**
 * A cluster started on ports that another cluster already holds does not fail at once: its
 * processes exit with EADDRINUSE, but LocalCluster's start-up ping is answered by the other
 * cluster's nodes, and the run then tests someone else's cluster. So `npm run chaos` checks first
 * (test clusters take a free bank of ports instead: ../port-claim.ts).
 */
import { portFree } from '../port-claim';

/** Throws, naming them, if any of the ports is taken on 127.0.0.1 (where the cluster's processes listen). */
export async function assertPortsFree(ports: readonly number[], what: string): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) if (!(await portFree(port, '127.0.0.1'))) taken.push(port);
  if (taken.length > 0) {
    throw new Error(`${what}: ports ${taken.join(', ')} are in use — is another run of it (or another cluster) still going? Starting would test that cluster instead.`);
  }
}
