import fs from 'node:fs';
import { createLogger, createMetricsRegistry, startMetricsServer, type Logger } from '@triad/observability';
import { realEnvironment, sleep, type Environment } from '@triad/runtime';
import { MembershipAgent, observeMembership } from '@triad/membership';
import { ClusterView, Ring, layoutEpoch, layoutTransition, parseClusterLayout, type ClusterLayout, type StorageNodeInfo } from '@triad/ring';
import { AntiEntropy } from './repair/anti-entropy';
import { HintStore } from './repair/hint-store';
import { HintedHandoff } from './repair/hinted-handoff';
import { AdminOperations } from './admin/admin-operations';
import { ReplicaDriver } from './replica/replica-driver';
import { ElectionStore } from './replica/election-store';
import { LogStore } from './log/log-store';
import { ProposalOverlay } from './write-path/proposal-overlay';
import { IdentityStore, askPeersOurGeneration, decideIdentity } from './replica/node-identity';
import { learnerMarksEnded, learnerPartitionsAfterDataLoss } from './replica/learner-marks';
import { PeerClients } from './replica/peer-clients';
import { ReplicaState } from './replica/replica-state';
import { createRocksStore } from './storage/rocks-store';
import { engineWithEncryption } from './storage/encryption-at-rest';
import type { KeyProvider } from '@triad/encryption';
import type { StorageEngineFactory } from './storage/storage-engine';
import { LayoutKeeper, fetchNewestLayout, loadPersistedLayout } from './movement/layout-keeper';
import { PartitionMover } from './movement/partition-mover';
import { PrefixStats } from './admin/prefix-stats';
import { createMovementMetrics, createRocksDbMetrics, createStorageMetrics } from './storage-metrics';
import { StorageServiceImpl } from './grpc/storage-service-impl';
import { GlobalIndexPropagator } from './indexes/global-index-propagator';
import { grpcNodeNetwork, type StorageNodeNetwork } from './node-network';
import { listenHost, type GrpcSecurity } from '@triad/rpc';
import { IndexFences } from './indexes/index-fences';
import { DISK_RESERVE_BYTES_DEFAULT, DiskReserve } from './storage/disk-reserve';
import { freeDiskBytes, makePrivateDirectory } from './storage/private-files';
import type { PlantedBugs } from './planted-bugs';

/** Replication state that belongs to one node only: terms and votes ('e'), logs ('L'), applied positions ('A'). */
const REPLICATION_STATE_PREFIXES = [0x65, 0x4c, 0x41];
/** On shutdown, how long to wait for leadership to move to other replicas before exiting anyway. */
const LEADERSHIP_HANDOFF_WAIT_MS = 3_000;
/**
 * How often a node looks for data of partitions it no longer keeps (a late write that raced the
 * drop after a partition moved away) and deletes it.
 */
const MOVED_DATA_SWEEP_INTERVAL_MS = 30_000;

/** What a storage node is started with (see main.ts for the flags and environment variables). */
export interface StorageNodeConfig {
  id: string;
  zone: string;
  /** host:port the gRPC server binds. */
  listen: string;
  /** The address others reach this node at; default: its address in the layout, else `listen`. */
  advertise?: string;
  dataDir: string;
  /** The layout file that seeds the cluster layout. */
  layoutFile: string;
  /** The seed layout itself, read from no file (the simulator, which does no real I/O); default: `layoutFile`'s. */
  layout?: ClusterLayout;
  /** Where Prometheus scrapes the node and probes its readiness; none: no metrics server (the simulator). */
  metricsPort?: number;
  /** The address the metrics server binds; default: the host of `listen` (a node binds what it is told). */
  metricsHost?: string;
  /**
   * Client writes are refused (retriable) while the data directory's filesystem has less free
   * space than this; default DISK_RESERVE_BYTES_DEFAULT. Only with the default RocksDB engine
   * (the simulator's in-memory disk has no free space to read).
   */
  diskReserveBytes?: number;
  /**
   * The gRPC network's security when `network` is not given: the cluster's mutual TLS (a client
   * without a certificate the cluster CA signed is refused), or plaintext when turned off.
   */
  grpcSecurity?: GrpcSecurity;
  antiEntropyIntervalMs: number;
  hintWindowMs: number;
  hintBytesMax: number;
  /** The item collection limit of tables with local indexes: DynamoDB's 10 GB unless lowered to try it out. */
  itemCollectionBytesMax: number;
  /** Builds the storage engine; default: RocksDB in `<dataDir>/rocksdb` (the simulator passes an in-memory one). */
  storageEngine?: StorageEngineFactory;
  /**
   * Encryption at rest: the master key source that wraps the node's data keys
   * (`<dataDir>/keyring.json`); every value is then sealed with AES-256-GCM before RocksDB sees it
   * (storage/sealed-engine.ts). Default: none, values are written plain.
   */
  keyProvider?: KeyProvider;
  /**
   * The node's clocks, timers and randomness, handed to every part it builds; default
   * `realEnvironment` (the simulator passes one `SimulatedEnvironment` per node).
   */
  environment?: Environment;
  /**
   * How the node calls other nodes and serves its own services; default gRPC (`grpcNodeNetwork`),
   * the simulator passes its in-memory network.
   */
  network?: StorageNodeNetwork;
  /**
   * Bugs planted on purpose, for the simulator's proof that its checks catch them (issue 12).
   * Only `@triad/sim` sets this; a real process never does (main.ts does not read it).
   */
  plantedBugs?: PlantedBugs;
}


/**
 * What the simulator's checks read of a running node in its own process, without a message:
 * the partitions it serves as leader now (with their terms), those it replicates as a learner
 * (it lost its data), and its hints not yet handed off.
 */
export interface StorageNodeInspection {
  servingLeaderships(): Map<number, number>;
  learnerPartitions(): Promise<number>;
  hintsPending(): number;
  /** Whether the node has any record of the partition on its disk (a node that is no replica of it should not, once the move's sweep ran). */
  holdsAny(partition: number): Promise<boolean>;
  /**
   * The partition's configuration in force here (the newest configuration entry in its log, committed
   * or not) and whether its entry is committed: the simulator raises faults at a configuration
   * change (a split around a move as its entry is appended).
   */
  configuration(partition: number): { voters: readonly string[]; learners: readonly string[]; committed: boolean } | undefined;
}

/**
 * One storage node. `open` builds its parts in dependency order (the store, the layout, the
 * replica state, the replicated logs and elections, the service), recovers the logs before the
 * server takes any replication message, and starts the background work. The layout file seeds the
 * cluster layout; the node then follows newer layouts (joins, decommissions) and keeps the newest
 * it adopted in RocksDB. A node that is not in its layout (one about to join) asks the layout's
 * nodes for the current one, and waits, holding nothing, until `triad join` adds it.
 */
export class StorageNode {
  private stopping?: Promise<void>;

  private constructor(
    readonly log: Logger,
    private readonly stopParts: (signal: string) => Promise<void>,
    /** For the simulator's checks (see `StorageNodeInspection`). */
    readonly inspection: StorageNodeInspection,
  ) {}

  static async open(config: StorageNodeConfig): Promise<StorageNode> {
    const state = { stopping: false };
    const env = config.environment ?? realEnvironment;
    const network = config.network ?? grpcNodeNetwork(env, config.grpcSecurity ?? missingSecurity());
    const identity = { nodeId: config.id, zone: config.zone, role: 'storage' as const };
    const log = createLogger(identity, undefined, env);
    // Without a metrics server nobody scrapes the process's own metrics (the simulator runs many nodes in one process).
    const registry = createMetricsRegistry(identity, { processMetrics: config.metricsPort !== undefined });
    const metrics = createStorageMetrics(registry);
    const movementMetrics = createMovementMetrics(registry);
    for (const outcome of ['done', 'retry', 'failed']) movementMetrics.moves.inc({ outcome }, 0);

    // Data is the service user's alone (main.ts sets the umask for the files inside).
    if (!config.storageEngine) makePrivateDirectory(config.dataDir);
    const diskReserve = config.storageEngine
      ? undefined
      : new DiskReserve(() => freeDiskBytes(config.dataDir), config.diskReserveBytes ?? DISK_RESERVE_BYTES_DEFAULT, env, log, (reading) => {
          metrics.diskFreeBytes.set(reading.freeBytes);
          metrics.diskReserveBytes.set(reading.reserveBytes);
        });
    await diskReserve?.start();
    const store = engineWithEncryption(config.storageEngine ?? createRocksStore, config.keyProvider, config.storageEngine === undefined)({
      dataDir: config.dataDir,
      onGroupCommit: (ops, seconds) => {
        metrics.groupCommitOps.observe(ops);
        metrics.groupCommitSeconds.observe(seconds);
      },
    });
    await store.open();
    createRocksDbMetrics(registry, (property) => store.numericProperty(property));
    // The newest of: the layout file, the layout this node adopted before it stopped, and (for a node
    // the layout does not name yet) what the layout's nodes know now.
    let layout = parseClusterLayout(config.layout ?? JSON.parse(fs.readFileSync(config.layoutFile, 'utf8')));
    const persisted = await loadPersistedLayout(store);
    if (persisted && layoutEpoch(persisted) > layoutEpoch(layout)) layout = persisted;
    if (!new Ring(layout).node(config.id)) {
      const newer = await fetchNewestLayout(new Ring(layout).nodes, layoutEpoch(layout), network.storage);
      if (newer) layout = newer;
    }
    const ring = new ClusterView(layout);
    const advertise = config.advertise ?? ring.node(config.id)?.address ?? config.listen;
    const replicas = new ReplicaState(store, ring.partitionCount, (message, error) => {
      log.error(message, { error: String(error) });
      env.exit(1, `${message}: ${String(error)}`);
    });
    const records = await replicas.load();
    log.info('replica state loaded', { records });
    const peers = new PeerClients(config.id, env, network.storage);
    if (!ring.node(config.id)) log.info('this node is not in the cluster layout yet; it holds nothing until `triad join` adds it', { epoch: ring.epoch, address: advertise });
    const membership = new MembershipAgent({
      self: { id: config.id, zone: config.zone, role: 'storage', address: advertise },
      seeds: ring.nodes.filter((n) => n.id !== config.id).map((n) => n.address),
    }, { environment: env, transport: network.membership(advertise) });
    observeMembership(membership, log, registry);
    // Unknown and suspect members are tried: a failed attempt costs little and is retried.
    const isUp = (node: StorageNodeInfo) => {
      const status = membership.member(node.id)?.status;
      return status !== 'dead' && status !== 'left';
    };
    const hints = new HintStore(store, env, config.hintWindowMs, config.hintBytesMax);
    await hints.load(ring.nodes.map((n) => n.id));
    // Every target has its series from the start, so dashboards and checks see zeros, not gaps.
    for (const node of ring.nodes) {
      metrics.hintsPending.set({ target: node.id }, hints.pending(node.id));
      for (const reason of ['expired', 'size_cap', 'moved']) metrics.hintsDropped.inc({ target: node.id, reason }, 0);
    }
    const handoff = new HintedHandoff({ selfId: config.id, ring, hints, peers, isUp, metrics, log, env });
    const antiEntropy = new AntiEntropy({ nodeId: config.id, ring, replicas, peers, isUp, metrics, log, env });
    const overlay = new ProposalOverlay();
    const identities = new IdentityStore(store);
    const storedIdentity = await identities.load();
    if (storedIdentity && storedIdentity.nodeId !== config.id) {
      // Another node's terms, votes and logs must not become ours; its committed records are harmless.
      log.warn('the data directory belongs to another node: its replication state is dropped', { owner: storedIdentity.nodeId });
      for (const prefix of REPLICATION_STATE_PREFIXES) await store.clearRange(Buffer.from([prefix]), Buffer.from([prefix + 1]));
    }
    // The partition mover needs the driver, and forwards the driver's applied records: bound once both exist.
    let forwardToIncoming: (partition: number, records: readonly { itemKey: Buffer; value: Buffer }[]) => void = () => undefined;
    const election = new ReplicaDriver({
      nodeId: config.id,
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
      env,
      plantedBugs: config.plantedBugs,
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
      nodeId: config.id,
      view: ring,
      store,
      peers,
      metrics: movementMetrics,
      log,
      env,
      onAdopted: async (after, before, keepLeadership) => {
        await election.reconfigure(keepLeadership);
        for (const node of after.nodes) {
          if (!before.node(node.id)) metrics.hintsPending.set({ target: node.id }, hints.pending(node.id));
        }
        const transition = layoutTransition(before, after, config.id);
        // A majority of the new replica set holds the data before a layout switches a partition away.
        for (const partition of transition.dropped) await dropPartition(partition);
        for (const partition of transition.entered) {
          if (await replicas.holdsAny(partition)) await dropPartition(partition);
        }
        // A learner mark (left by a disk loss) belongs to the stay in which it was set: a partition
        // left before its promotion, and later moved back in, comes back a full member of the new
        // replica set, not a learner no promotion will ever name after the next restart.
        for (const partition of learnerMarksEnded(before, after, config.id)) await identities.promoted(partition);
        if (before.node(config.id) && !after.node(config.id)) {
          log.warn('this node was decommissioned: it holds no partition and serves nothing; stop its process', { epoch: after.epoch });
        }
      },
    });
    const mover = new PartitionMover({ nodeId: config.id, view: ring, keeper, store, replicas, peers, election, antiEntropy, isUp, metrics: movementMetrics, log, env, plantedBugs: config.plantedBugs });
    forwardToIncoming = (partition, records) => mover.forwardToIncoming(partition, records);
    const globalIndexes: GlobalIndexPropagator = new GlobalIndexPropagator({
      nodeId: config.id,
      ring,
      store,
      replicas,
      peers,
      handoff,
      leadership: election,
      metrics,
      log,
      env,
      retire: (partition, outboxKey, version) => service.retireOutbox(partition, outboxKey, version),
    });
    const service: StorageServiceImpl = new StorageServiceImpl({
      nodeId: config.id,
      zone: config.zone,
      store,
      replicas,
      ring,
      layoutEpoch: () => ring.epoch,
      metrics,
      log,
      handoff,
      replication: election,
      overlay,
      globalIndexes,
      identities,
      plantedBugs: config.plantedBugs,
      indexFences: new IndexFences({ replicas, termOf: (p) => election.termOf(p), refusals: metrics.indexFenceRefusals, log, plantedBugs: config.plantedBugs }),
      admin: new AdminOperations({
        nodeId: config.id,
        zone: config.zone,
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
      itemCollectionBytesMax: config.itemCollectionBytesMax,
      writeRefusal: () => diskReserve?.refusal(),
      prefixStats: new PrefixStats({ store, partitionCount: ring.partitionCount, holds: (p) => mover.holds(p), log, env }),
      env,
    });
    // Replication messages are dropped until the logs are recovered and elections run (below); the
    // server answers pings first, so that a node without data can learn whether it had some.
    const server = await network.serve(config.listen, service, membership);
    // The planted bug `wipedNodeVotes` (simulation only) forgets that the node had data before: it
    // rejoins at once, asking nobody, as on 3b011fb.
    const findings =
      storedIdentity?.nodeId === config.id || config.plantedBugs?.wipedNodeVotes
        ? { known: [] }
        : await askPeersOurGeneration(
            config.id,
            { epoch: ring.epoch, nodes: ring.nodes },
            {
              ping: (peer: StorageNodeInfo) =>
                peers
                  .client(peer)
                  .ping({ from: config.id }, 1_000)
                  .then((answer) => ({ knownGeneration: answer.knownGenerationOfCaller ?? 0, layoutEpoch: answer.layoutEpoch ?? 0 })),
              newerLayout: async (peer: StorageNodeInfo, knownEpoch: number) => {
                const newer = await fetchNewestLayout([peer], knownEpoch, network.storage);
                return newer && { epoch: layoutEpoch(newer), nodes: new Ring(newer).nodes, layout: newer };
              },
            },
            env,
            (waitedMs, missing) =>
              log.warn('this node has no data and cannot yet tell a first start from a lost disk: waiting for every node of the layout to answer (a wiped node must not vote)', { waitedMs, missing }),
          );
    // A node without data follows the newest layout its peers told it of before it marks its partitions.
    if (findings.newerLayout) await keeper.adoptBeforeStart(findings.newerLayout.layout);
    const decided = decideIdentity(config.id, storedIdentity, findings.known);
    // Learner status is durable before the node acts on it, and stays until each promotion is applied.
    // Every partition it replicates, those moving to it included: the log of a move may have made it
    // a voter there before its disk was lost (seed 8 of `--moves --indexes`).
    if (decided.learner) await identities.markLearner(learnerPartitionsAfterDataLoss(ring.ring, config.id));
    await identities.save(decided.identity);
    const generation = decided.identity.generation;
    const learners = await identities.learnerPartitions();
    if (learners.size > 0) log.warn('this node lost its data: it replicates these partitions as a learner, without a vote, until it has caught up', { generation, partitions: [...learners] });
    else log.info('node identity', { generation });
    await election.start(generation, learners);
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
    // Not ready while stopping, or while the disk is below its reserve (reads are still served).
    const ready = () => (state.stopping ? false : diskReserve?.refusal() ?? true);
    const metricsHost = config.metricsHost ?? listenHost(config.listen);
    const metricsServer = config.metricsPort === undefined ? undefined : await startMetricsServer(registry, config.metricsPort, metricsHost, ready);
    handoff.start();
    antiEntropy.start(config.antiEntropyIntervalMs);
    globalIndexes.start();
    keeper.start();
    let sweeping = false;
    const sweep = env.setInterval(async () => {
      if (sweeping || state.stopping) return;
      sweeping = true;
      try {
        for (let p = 0; p <= ring.systemPartition; p++) {
          if (!ring.receives(config.id, p) && (await replicas.holdsAny(p))) await dropPartition(p);
        }
      } catch (error) {
        log.warn('sweep of moved partitions failed', { error: String(error) });
      } finally {
        sweeping = false;
      }
    }, MOVED_DATA_SWEEP_INTERVAL_MS);
    sweep.unref();
    log.info('storage node ready', { grpcPort: server.port, metricsPort: config.metricsPort, partitions: ring.partitionsOf(config.id).length });

    const stop = async (signal: string): Promise<void> => {
      log.info('storage node stopping', { signal });
      // Hand leadership away first, so that clients see a short leader change, not a dead leader.
      election.setDraining(true);
      const handoffDeadline = env.monotonicMs() + LEADERSHIP_HANDOFF_WAIT_MS;
      while (ring.partitionsOf(config.id).some((p) => election.isServingLeader(p)) && env.monotonicMs() < handoffDeadline) {
        await sleep(env, 50);
      }
      // From here on the driver takes no packet or proposal; what it already handed to the store
      // finishes before the store closes.
      const electionStopped = election.stop();
      globalIndexes.stop();
      keeper.stop();
      env.clearInterval(sweep);
      handoff.stop();
      antiEntropy.stop();
      diskReserve?.stop();
      await membership.stop();
      await electionStopped;
      await server.close();
      metricsServer?.close();
      peers.close();
      await store.close();
      log.info('storage node stopped');
    };

    const inspection: StorageNodeInspection = {
      servingLeaderships: () => {
        const led = new Map<number, number>();
        for (let p = 0; p <= ring.systemPartition; p++) if (election.isServingLeader(p)) led.set(p, election.termOf(p));
        return led;
      },
      learnerPartitions: async () => (await metrics.learnerPartitions.get()).values[0]?.value ?? 0,
      hintsPending: () => ring.nodes.reduce((sum, n) => sum + hints.pending(n.id), 0),
      holdsAny: (partition) => replicas.holdsAny(partition),
      configuration: (partition) => {
        const status = election.configuration(partition);
        return status && { voters: status.config.voters, learners: status.config.learners, committed: status.committed };
      },
    };
    return new StorageNode(
      log,
      async (signal) => {
        state.stopping = true;
        await stop(signal);
      },
      inspection,
    );
  }

  /** Drains leadership to other replicas, stops background work, closes the server and the store. */
  stop(signal: string): Promise<void> {
    this.stopping ??= this.stopParts(signal);
    return this.stopping;
  }
}

/** A node on the real network is told how to secure it: plaintext is never a silent default. */
function missingSecurity(): never {
  throw new Error('StorageNodeConfig.grpcSecurity is required unless a network is given');
}

