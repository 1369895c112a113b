import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, createMetricsRegistry, startMetricsServer } from '@triad/observability';
import { MembershipAgent, addMembershipService, observeMembership } from '@triad/membership';
import { Ring, parseClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { startStorageServer } from '@triad/rpc';
import { ANTI_ENTROPY_INTERVAL_MS_DEFAULT, AntiEntropy } from './anti-entropy';
import { HINT_BYTES_MAX_DEFAULT, HINT_WINDOW_MS_DEFAULT, HintStore } from './hint-store';
import { HintedHandoff } from './hinted-handoff';
import { AdminOperations } from './admin-operations';
import { ElectionDriver } from './election-driver';
import { ElectionStore } from './election-store';
import { PeerClients } from './peer-clients';
import { ReplicaState } from './replica-state';
import { RocksStore } from './rocks-store';
import { createStorageMetrics } from './storage-metrics';
import { StorageServiceImpl } from './storage-service-impl';

/** On shutdown, how long to wait for leadership to move to other replicas before exiting anyway. */
const LEADERSHIP_HANDOFF_WAIT_MS = 3_000;

/** Starts one storage node: `--id`, `--zone`, `--listen host:port`, `--data-dir`, `--layout file`, `--metrics-port`. */
async function main(): Promise<void> {
  let stopping = false;
  const { values } = parseArgs({
    options: {
      id: { type: 'string', default: process.env.TRIAD_NODE_ID },
      zone: { type: 'string', default: process.env.TRIAD_ZONE },
      listen: { type: 'string', default: process.env.TRIAD_LISTEN ?? '0.0.0.0:7000' },
      'data-dir': { type: 'string', default: process.env.TRIAD_DATA_DIR ?? './data' },
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT },
      'metrics-port': { type: 'string', default: process.env.TRIAD_METRICS_PORT ?? '9100' },
      'anti-entropy-interval-ms': { type: 'string', default: process.env.TRIAD_ANTI_ENTROPY_INTERVAL_MS ?? String(ANTI_ENTROPY_INTERVAL_MS_DEFAULT) },
      'hint-window-ms': { type: 'string', default: process.env.TRIAD_HINT_WINDOW_MS ?? String(HINT_WINDOW_MS_DEFAULT) },
      'hint-bytes-max': { type: 'string', default: process.env.TRIAD_HINT_BYTES_MAX ?? String(HINT_BYTES_MAX_DEFAULT) },
    },
  });
  if (!values.id || !values.zone || !values.layout) throw new Error('--id, --zone and --layout are required');
  const identity = { nodeId: values.id, zone: values.zone, role: 'storage' as const };
  const log = createLogger(identity);
  const registry = createMetricsRegistry(identity);
  const metrics = createStorageMetrics(registry);
  const ring = new Ring(parseClusterLayout(JSON.parse(fs.readFileSync(values.layout, 'utf8'))));

  const store = new RocksStore(path.join(values['data-dir'], 'rocksdb'));
  await store.open();
  store.onGroupCommit = (ops, seconds) => {
    metrics.groupCommitOps.observe(ops);
    metrics.groupCommitSeconds.observe(seconds);
  };
  const replicas = new ReplicaState(store, ring.partitionCount);
  const records = await replicas.load();
  log.info('replica state loaded', { records });
  const peers = new PeerClients(values.id);
  const self = ring.node(values.id);
  if (!self) throw new Error(`node ${values.id} is not in the layout`);
  const membership = new MembershipAgent({
    self: { id: values.id, zone: values.zone, role: 'storage', address: self.address },
    seeds: ring.nodes.filter((n) => n.id !== values.id).map((n) => n.address),
  });
  observeMembership(membership, log, registry);
  // Unknown and suspect members are tried: a failed attempt costs little and is retried.
  const isUp = (node: StorageNodeInfo) => {
    const status = membership.member(node.id)?.status;
    return status !== 'dead' && status !== 'left';
  };
  const hints = new HintStore(store, Number(values['hint-window-ms']), Number(values['hint-bytes-max']));
  await hints.load(ring.nodes.map((n) => n.id));
  // Every target has its series from the start, so dashboards and checks see zeros, not gaps.
  for (const node of ring.nodes) {
    metrics.hintsPending.set({ target: node.id }, hints.pending(node.id));
    for (const reason of ['expired', 'size_cap']) metrics.hintsDropped.inc({ target: node.id, reason }, 0);
  }
  const handoff = new HintedHandoff({ selfId: values.id, ring, hints, peers, isUp, metrics, log, nowMs: Date.now });
  const antiEntropy = new AntiEntropy({ nodeId: values.id, ring, replicas, peers, isUp, metrics, log });
  const election = new ElectionDriver({ nodeId: values.id, ring, store: new ElectionStore(store), peers, antiEntropy, isUp, metrics, log });
  const service = new StorageServiceImpl({
    nodeId: values.id,
    zone: values.zone,
    store,
    replicas,
    ring,
    peers,
    metrics,
    log,
    handoff,
    leadership: election,
    admin: new AdminOperations({
      nodeId: values.id,
      zone: values.zone,
      ring,
      store,
      hints,
      election,
      antiEntropy,
      isUp: (id) => isUp(ring.node(id)!),
      log,
    }),
    onElectionPacket: (packet) => election.onPacket(packet),
  });
  election.writesSettled = (partition) => service.writesSettled(partition);
  const { server, port } = await startStorageServer(service, values.listen, (grpcServer) => addMembershipService(grpcServer, membership));
  membership.on('change', (member) => {
    if (member.role !== 'storage') return;
    if (member.status === 'alive') {
      election.nodeUp(member.id);
      handoff.replayAll();
    } else if (member.status === 'dead' || member.status === 'left') {
      election.nodeDown(member.id);
    }
  });
  membership.start();
  await election.start();
  // Ready once elections run: from then on the node takes its part in serving its partitions.
  const metricsServer = await startMetricsServer(registry, Number(values['metrics-port']), '0.0.0.0', () => !stopping);
  handoff.start();
  antiEntropy.start(Number(values['anti-entropy-interval-ms']));
  log.info('storage node ready', { grpcPort: port, metricsPort: Number(values['metrics-port']), partitions: ring.partitionsOf(values.id).length });

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('storage node stopping', { signal });
    // Hand leadership away first, so that clients see a short leader change, not a dead leader.
    election.setDraining(true);
    const handoffDeadline = Date.now() + LEADERSHIP_HANDOFF_WAIT_MS;
    while (ring.partitionsOf(values.id!).some((p) => election.isServingLeader(p)) && Date.now() < handoffDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    election.stop();
    handoff.stop();
    antiEntropy.stop();
    await membership.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    metricsServer.close();
    peers.close();
    await store.close();
    log.info('storage node stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'error', message: 'storage node failed to start', error: String(error) }));
  process.exit(1);
});
