import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ITEM_COLLECTION_BYTES_MAX } from '@triad/model';
import { createLogger, createMetricsRegistry, startMetricsServer, wallClockMs } from '@triad/observability';
import { MembershipAgent, addMembershipService, observeMembership } from '@triad/membership';
import { ClusterView, Ring, layoutEpoch, layoutTransition, parseClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { startStorageServer } from '@triad/rpc';
import { ANTI_ENTROPY_INTERVAL_MS_DEFAULT, AntiEntropy } from './repair/anti-entropy';
import { HINT_BYTES_MAX_DEFAULT, HINT_WINDOW_MS_DEFAULT, HintStore } from './repair/hint-store';
import { HintedHandoff } from './repair/hinted-handoff';
import { AdminOperations } from './admin/admin-operations';
import { ReplicaDriver } from './replica/replica-driver';
import { ElectionStore } from './replica/election-store';
import { LogStore } from './log/log-store';
import { ProposalOverlay } from './write-path/proposal-overlay';
import { IdentityStore, decideIdentity } from './replica/node-identity';
import { PeerClients } from './replica/peer-clients';
import { ReplicaState } from './replica/replica-state';
import { RocksStore } from './storage/rocks-store';
import { LayoutKeeper, fetchNewestLayout, loadPersistedLayout } from './movement/layout-keeper';
import { PartitionMover } from './movement/partition-mover';
import { PrefixStats } from './admin/prefix-stats';
import { createMovementMetrics, createRocksDbMetrics, createStorageMetrics } from './storage-metrics';
import { StorageServiceImpl } from './grpc/storage-service-impl';
import { GlobalIndexPropagator } from './indexes/global-index-propagator';
import { IndexFences } from './indexes/index-fences';

/** Replication state that belongs to one node only: terms and votes ('e'), logs ('L'), applied positions ('A'). */
const REPLICATION_STATE_PREFIXES = [0x65, 0x4c, 0x41];
/** A node without data waits this long at most for a peer to say whether it had data before. */
const IDENTITY_ASK_WAIT_MS_MAX = 5_000;

/**
 * What the peers know of this node's generation (0: never saw it), from the peers that answer
 * within the wait; empty when none does (a cluster starting for the first time with this node first).
 */
async function askPeersOurGeneration(selfId: string, others: readonly StorageNodeInfo[], peers: PeerClients): Promise<number[]> {
  const deadline = Date.now() + IDENTITY_ASK_WAIT_MS_MAX;
  while (Date.now() < deadline) {
    const answers = await Promise.allSettled(others.map((peer) => peers.client(peer).ping({ from: selfId }, 1_000)));
    const known = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value.knownGenerationOfCaller ?? 0] : []));
    if (known.length > 0) return known;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return [];
}

/** On shutdown, how long to wait for leadership to move to other replicas before exiting anyway. */
const LEADERSHIP_HANDOFF_WAIT_MS = 3_000;
/**
 * How often a node looks for data of partitions it no longer keeps (a late write that raced the
 * drop after a partition moved away) and deletes it.
 */
const MOVED_DATA_SWEEP_INTERVAL_MS = 30_000;

/**
 * Starts one storage node: `--id`, `--zone`, `--listen host:port`, `--advertise host:port`,
 * `--data-dir`, `--layout file`, `--metrics-port`. The layout file seeds the cluster layout; the node
 * then follows newer layouts (joins, decommissions) and keeps the newest it adopted in RocksDB. A
 * node that is not in its layout (one about to join) asks the layout's nodes for the current one,
 * and waits, holding nothing, until `triad join` adds it.
 */
async function main(): Promise<void> {
  let stopping = false;
  const { values } = parseArgs({
    options: {
      id: { type: 'string', default: process.env.TRIAD_NODE_ID },
      zone: { type: 'string', default: process.env.TRIAD_ZONE },
      listen: { type: 'string', default: process.env.TRIAD_LISTEN ?? '0.0.0.0:7000' },
      /** The address others reach this node at; default: its address in the layout, else --listen. */
      advertise: { type: 'string', default: process.env.TRIAD_ADVERTISE },
      'data-dir': { type: 'string', default: process.env.TRIAD_DATA_DIR ?? './data' },
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT },
      'metrics-port': { type: 'string', default: process.env.TRIAD_METRICS_PORT ?? '9100' },
      'anti-entropy-interval-ms': { type: 'string', default: process.env.TRIAD_ANTI_ENTROPY_INTERVAL_MS ?? String(ANTI_ENTROPY_INTERVAL_MS_DEFAULT) },
      'hint-window-ms': { type: 'string', default: process.env.TRIAD_HINT_WINDOW_MS ?? String(HINT_WINDOW_MS_DEFAULT) },
      'hint-bytes-max': { type: 'string', default: process.env.TRIAD_HINT_BYTES_MAX ?? String(HINT_BYTES_MAX_DEFAULT) },
      /** The item collection limit of tables with local indexes: DynamoDB's 10 GB; lower it to try the limit out. */
      'item-collection-bytes-max': { type: 'string', default: process.env.TRIAD_ITEM_COLLECTION_BYTES_MAX ?? String(ITEM_COLLECTION_BYTES_MAX) },
    },
  });
  if (!values.id || !values.zone || !values.layout) throw new Error('--id, --zone and --layout are required');
  const identity = { nodeId: values.id, zone: values.zone, role: 'storage' as const };
  const log = createLogger(identity);
  const registry = createMetricsRegistry(identity);
  const metrics = createStorageMetrics(registry);
  const movementMetrics = createMovementMetrics(registry);
  for (const outcome of ['done', 'retry', 'failed']) movementMetrics.moves.inc({ outcome }, 0);

  const store = new RocksStore(path.join(values['data-dir'], 'rocksdb'));
  await store.open();
  createRocksDbMetrics(registry, (property) => store.numericProperty(property));
  // The newest of: the layout file, the layout this node adopted before it stopped, and (for a node
  // the layout does not name yet) what the layout's nodes know now.
  let layout = parseClusterLayout(JSON.parse(fs.readFileSync(values.layout, 'utf8')));
  const persisted = await loadPersistedLayout(store);
  if (persisted && layoutEpoch(persisted) > layoutEpoch(layout)) layout = persisted;
  if (!new Ring(layout).node(values.id)) {
    const newer = await fetchNewestLayout(new Ring(layout).nodes, layoutEpoch(layout));
    if (newer) layout = newer;
  }
  const ring = new ClusterView(layout);
  const advertise = values.advertise ?? ring.node(values.id)?.address ?? values.listen;
  store.onGroupCommit = (ops, seconds) => {
    metrics.groupCommitOps.observe(ops);
    metrics.groupCommitSeconds.observe(seconds);
  };
  const replicas = new ReplicaState(store, ring.partitionCount);
  const records = await replicas.load();
  log.info('replica state loaded', { records });
  const peers = new PeerClients(values.id);
  if (!ring.node(values.id)) log.info('this node is not in the cluster layout yet; it holds nothing until `triad join` adds it', { epoch: ring.epoch, address: advertise });
  const membership = new MembershipAgent({
    self: { id: values.id, zone: values.zone, role: 'storage', address: advertise },
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
    for (const reason of ['expired', 'size_cap', 'moved']) metrics.hintsDropped.inc({ target: node.id, reason }, 0);
  }
  const handoff = new HintedHandoff({ selfId: values.id, ring, hints, peers, isUp, metrics, log, nowMs: wallClockMs });
  const antiEntropy = new AntiEntropy({ nodeId: values.id, ring, replicas, peers, isUp, metrics, log });
  const overlay = new ProposalOverlay();
  const identities = new IdentityStore(store);
  const storedIdentity = await identities.load();
  if (storedIdentity && storedIdentity.nodeId !== values.id) {
    // Another node's terms, votes and logs must not become ours; its committed records are harmless.
    log.warn('the data directory belongs to another node: its replication state is dropped', { owner: storedIdentity.nodeId });
    for (const prefix of REPLICATION_STATE_PREFIXES) await store.clearRange(Buffer.from([prefix]), Buffer.from([prefix + 1]));
  }
  // The partition mover needs the driver, and forwards the driver's applied records: bound once both exist.
  let forwardToIncoming: (partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]) => void = () => undefined;
  const election = new ReplicaDriver({
    nodeId: values.id,
    ring,
    store,
    electionStore: new ElectionStore(store),
    logStore: new LogStore(store),
    replicas,
    overlay,
    peers,
    antiEntropy,
    isUp,
    metrics,
    log,
    identities,
    forwardToIncoming: (partition, records) => forwardToIncoming(partition, records),
    onLayoutEntry: async (layout, partition, leads) => {
      await keeper.adopt(parseClusterLayout(JSON.parse(layout.toString('utf8'))), leads ? new Set([partition]) : new Set());
    },
  });
  const dropPartition = async (partition: number) => {
    const left = await replicas.dropPartition(partition);
    movementMetrics.partitionsDropped.inc();
    log.info('partition data dropped: the partition moved to other nodes', { partition, recordsLeft: left });
  };
  const keeper = new LayoutKeeper({
    nodeId: values.id,
    view: ring,
    store,
    peers,
    metrics: movementMetrics,
    log,
    onAdopted: async (after, before, keepLeadership) => {
      await election.reconfigure(keepLeadership);
      for (const node of after.nodes) {
        if (!before.node(node.id)) metrics.hintsPending.set({ target: node.id }, hints.pending(node.id));
      }
      // A majority of the new replica set holds the data before a layout switches a partition away.
      for (const partition of layoutTransition(before, after, values.id!).dropped) await dropPartition(partition);
      if (before.node(values.id!) && !after.node(values.id!)) {
        log.warn('this node was decommissioned: it holds no partition and serves nothing; stop its process', { epoch: after.epoch });
      }
    },
  });
  const mover = new PartitionMover({ nodeId: values.id, view: ring, keeper, store, replicas, peers, election, antiEntropy, metrics: movementMetrics, log });
  forwardToIncoming = (partition, records) => mover.forwardToIncoming(partition, records);
  const globalIndexes: GlobalIndexPropagator = new GlobalIndexPropagator({
    nodeId: values.id,
    ring,
    store,
    replicas,
    peers,
    handoff,
    leadership: election,
    metrics,
    log,
    retire: (partition, outboxKey, version) => service.retireOutbox(partition, outboxKey, version),
  });
  const service: StorageServiceImpl = new StorageServiceImpl({
    nodeId: values.id,
    zone: values.zone,
    store,
    replicas,
    ring,
    metrics,
    log,
    handoff,
    replication: election,
    overlay,
    globalIndexes,
    identities,
    indexFences: new IndexFences({ replicas, termOf: (p) => election.termOf(p), refusals: metrics.indexFenceRefusals, log }),
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
      moves: () => mover.moves(),
    }),
    movement: mover,
    itemCollectionBytesMax: Number(values['item-collection-bytes-max']),
    prefixStats: new PrefixStats({ store, partitionCount: ring.partitionCount, holds: (p) => mover.holds(p), log }),
  });
  // Replication messages are dropped until the logs are recovered and elections run (below); the
  // server answers pings first, so that a node without data can learn whether it had some.
  const { server, port } = await startStorageServer(service, values.listen, (grpcServer) => addMembershipService(grpcServer, membership));
  const peerKnowledge = storedIdentity?.nodeId === values.id ? [] : await askPeersOurGeneration(values.id, ring.nodes.filter((n) => n.id !== values.id), peers);
  const decided = decideIdentity(values.id, storedIdentity, peerKnowledge);
  await identities.save(decided.identity);
  const generation = decided.identity.generation;
  if (decided.learner) log.warn('this node lost its data: it rejoins every partition as a learner, without a vote, until it has caught up', { generation });
  else log.info('node identity', { generation });
  await election.start(generation, decided.learner);
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
  // Ready once elections run: from then on the node takes its part in serving its partitions.
  const metricsServer = await startMetricsServer(registry, Number(values['metrics-port']), '0.0.0.0', () => !stopping);
  handoff.start();
  antiEntropy.start(Number(values['anti-entropy-interval-ms']));
  globalIndexes.start();
  keeper.start();
  let sweeping = false;
  const sweep = setInterval(async () => {
    if (sweeping || stopping) return;
    sweeping = true;
    try {
      for (let p = 0; p <= ring.systemPartition; p++) {
        if (!ring.receives(values.id!, p) && (await replicas.holdsAny(p))) await dropPartition(p);
      }
    } catch (error) {
      log.warn('sweep of moved partitions failed', { error: String(error) });
    } finally {
      sweeping = false;
    }
  }, MOVED_DATA_SWEEP_INTERVAL_MS);
  sweep.unref();
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
    globalIndexes.stop();
    keeper.stop();
    clearInterval(sweep);
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
