import { LocalCluster } from '@triad/harness/local-cluster';
import { CLUSTER_USAGE, ClusterUsageError, parseClusterOptions } from './local-cluster/cluster-options';

/** `npm start`: the embedded default cluster, 3 storage nodes in zones a, b, c and 1 router, as separate processes. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseClusterOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ClusterUsageError)) throw error;
    console.error(`triad: ${error.message}\n(npm start -- --help lists the options)`);
    process.exit(2);
  }
  if (!parsed) {
    process.stdout.write(CLUSTER_USAGE);
    return;
  }
  const options = parsed;
  const cluster = new LocalCluster(options);
  let stopping = false;
  cluster.onUnexpectedExit = (id, code, signal) => {
    if (!stopping) console.error(`triad: ${id} exited (code ${code}, signal ${signal}); see ${options.dataDir}/logs/${id}.log`);
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('triad: stopping');
    await cluster.stop();
    console.log('triad: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  console.log(
    `triad: starting ${options.storageNodes} storage nodes in zones ${options.zones.join(', ')} and ${options.routers} router(s); data in ${options.dataDir}`,
  );
  try {
    await cluster.start();
  } catch (error) {
    console.error(`triad: ${(error as Error).message}`);
    await cluster.stop();
    process.exit(1);
  }
  const endpoints = cluster.routers.map((_, i) => cluster.endpoint(i)).join(', ');
  console.log(`triad: ready at ${endpoints} (logs in ${options.dataDir}/logs; Ctrl-C stops)`);
  if (cluster.grpcTls) console.log(`triad: gRPC over mutual TLS; cluster CA ${options.dataDir}/tls/ca/ca.crt${options.httpsApi ? ' (trust it for the HTTPS endpoint)' : ''}`);
  else console.log('triad: gRPC in plaintext (--grpc-insecure)');
}

void main();
