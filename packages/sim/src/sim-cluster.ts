import { createLogger, createMetricsRegistry } from '@triad/observability';
import { ClusterView, type ClusterLayout } from '@triad/ring';
import { MembershipAgent } from '@triad/membership';
import { Catalog, GrpcStorageClient, IndexBuilder, IndexReconciler, LayoutFollower, NodeHealth, TableStatistics, createOperationRegistry, createRouterMetrics, type OperationContext, type OperationRegistry, UNRESTRICTED_CALLER } from '@triad/router';
import type { StorageNodeConnection } from '@triad/rpc';
import { Simulator, type SimulatedClockOptions, type SimulatedEnvironment } from '@triad/runtime';
import { MemoryDisk, MemoryStore, StorageNode, type PlantedBugs, type StorageFault, type StorageFaultPoint } from '@triad/storage-node';
import type { SeededFaultPoints } from './seeded-fault-points';
import { runUntilSettled } from './run-until-settled';
import { SimNetwork, type SimNetworkOptions, type SimProcessNetwork } from './sim-network';

/** A storage node of the simulated cluster: its disk outlives its processes. */
export interface SimStorageNode {
  readonly id: string;
  readonly zone: string;
  readonly address: string;
  readonly disk: MemoryDisk;
  /** The running process, if any. */
  process?: { env: SimulatedEnvironment; network: SimProcessNetwork; node?: StorageNode };
}

export interface SimClusterOptions {
  seed: number;
  /** Data partitions. @default 8 */
  partitions?: number;
  /** The storage nodes, by id and zone. @default one in each of zones a, b, c */
  nodes?: { id: string; zone: string }[];
  network?: SimNetworkOptions;
  /** Bugs planted in every node, to show that the checks catch them (never in a real run). */
  plantedBugs?: PlantedBugs;
  /** The run's fault points, asked by every node's code (default: none fires). */
  faultPoints?: SeededFaultPoints;
  /** Every node's anti-entropy interval; 0: no periodic rounds (repairs on demand only). @default 30000 */
  antiEntropyIntervalMs?: number;
}

/** Attempts of a retried request: the AWS SDKs' default for DynamoDB is 10. */
const SDK_ATTEMPTS_MAX = 10;

/** Long enough for any step of a scenario in simulated time; a step that takes longer is stuck. */
const STEP_SIMULATED_MS_MAX = 120_000;

/**
 * A whole cluster in one process (issue 12): storage nodes started with the real
 * `StorageNode.open` on `MemoryStore`s, one `SimulatedEnvironment` and one view of a `SimNetwork`
 * each, and routers built from the router's real parts (catalog, storage client, operations)
 * without their HTTP front. Everything runs on the simulator's virtual time: `run` drives it until
 * a promise settles. The first building block of the simulator; workloads and checkers come next.
 */
export class SimCluster {
  readonly simulator: Simulator;
  readonly network: SimNetwork;
  readonly layout: ClusterLayout;
  readonly nodes = new Map<string, SimStorageNode>();
  /** Each node's clock (offset, drift) for its next process: a restart may come with another. */
  readonly nodeClocks = new Map<string, Omit<SimulatedClockOptions, 'name'>>();
  private readonly plantedBugs?: PlantedBugs;
  readonly faultPoints?: SeededFaultPoints;
  private readonly antiEntropyIntervalMs: number;
  /** Processes that died at a failed sync, restarted by their supervisor (for the trace). */
  readonly syncFailures: { atMs: number; id: string }[] = [];
  /** Processes that exited on their own (`Environment.exit`): each a failure of the run. */
  readonly processExits: { atMs: number; id: string; code: number; reason: string }[] = [];
  /** Nodes stopping gracefully: a failed sync would leave their stop waiting for ever. */
  private readonly stopping = new Set<string>();

  constructor(options: SimClusterOptions) {
    this.simulator = new Simulator(options.seed);
    this.antiEntropyIntervalMs = options.antiEntropyIntervalMs ?? 30_000;
    this.network = new SimNetwork(this.simulator, options.network);
    const nodes = options.nodes ?? [
      { id: 'storage-a', zone: 'a' },
      { id: 'storage-b', zone: 'b' },
      { id: 'storage-c', zone: 'c' },
    ];
    this.layout = { partitionCount: options.partitions ?? 8, storageNodes: nodes.map((n) => ({ ...n, address: `${n.id}:7000` })) };
    for (const n of this.layout.storageNodes) this.nodes.set(n.id, { ...n, disk: new MemoryDisk() });
    this.plantedBugs = options.plantedBugs;
    this.faultPoints = options.faultPoints;
  }

  /** Drives the simulator until `promise` settles (see `runUntilSettled`). */
  run<T>(promise: Promise<T>, limitMs = STEP_SIMULATED_MS_MAX): Promise<T> {
    return runUntilSettled(this.simulator, promise, limitMs);
  }

  /** Lets simulated time pass (every event due runs). */
  advance(ms: number): Promise<void> {
    return this.simulator.advanceBy(ms);
  }

  /**
   * A storage node outside the seed layout (one to join later, with the change runner): its disk
   * and address, no process yet. Started with `openNode`, it asks the layout's nodes for the
   * current layout and holds nothing until a join adds it.
   */
  addNode(id: string, zone: string): SimStorageNode {
    if (this.nodes.has(id)) throw new Error(`storage node ${id} exists`);
    const node: SimStorageNode = { id, zone, address: `${id}:7000`, disk: new MemoryDisk() };
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): SimStorageNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no storage node ${id}`);
    return node;
  }

  /** Starts (or restarts) storage nodes' processes on their disks, together; resolves once all are open. */
  async startNodes(...ids: string[]): Promise<void> {
    await this.run(Promise.all(ids.map((id) => this.openNode(id))));
  }

  /**
   * Starts a node's process on its disk without driving the simulator: for a caller that is itself
   * part of a simulated run (a fault schedule); `startNodes` drives it.
   */
  async openNode(id: string): Promise<void> {
    const n = this.node(id);
    if (n.process) throw new Error(`${id} is running`);
    const env = this.simulator.environment({ name: id, ...this.nodeClocks.get(id) });
    const network = this.network.process(id, env);
    n.process = { env, network };
    if (this.faultPoints) env.faults = this.faultPoints.points;
    env.onExit = (code, reason) => this.processExited(id, env, code, reason);
    const store = new MemoryStore(n.disk, {
      // Every step RocksDB completes later is an event of the node's own: a dead node's never run.
      schedule: (run, _step, delayMs) => (delayMs > 0 ? env.setTimeout(run, delayMs) : env.defer(run)),
      fault: (point) => this.storageFault(id, env, point),
    });
    const opened = StorageNode.open({
      id,
      zone: n.zone,
      listen: n.address,
      dataDir: `/sim/${id}`,
      // Handed over, not read from a file: a run does no real I/O.
      layoutFile: '',
      layout: this.layout,
      antiEntropyIntervalMs: this.antiEntropyIntervalMs,
      hintWindowMs: 3 * 60 * 60 * 1000,
      hintBytesMax: 64 * 1024 * 1024,
      itemCollectionBytesMax: 10 * 1024 ** 3,
      storageEngine: () => store,
      environment: env,
      network,
      plantedBugs: this.plantedBugs,
    });
    const node = await opened;
    if (n.process?.env === env) n.process.node = node;
  }

  /**
   * The storage engine's fault points, from the run's: a slow sync; a sync that fails, where the
   * storage node would exit (memory ahead of disk, see ReplicaDriver): its process dies at that
   * sync with a seeded part of its unsynced records kept, and its supervisor starts it again a
   * seeded while later. Only once the node is open: a process that dies while opening is the
   * schedule's business, not a supervisor's.
   */
  private storageFault(id: string, env: SimulatedEnvironment, point: StorageFaultPoint): StorageFault | undefined {
    if (point.kind !== 'sync' || !this.faultPoints || this.node(id).process?.env !== env || !this.node(id).process?.node || this.stopping.has(id)) return undefined;
    if (env.faults.fires('store.syncFails')) {
      const kept = this.simulator.random.int(0, this.node(id).disk.unsyncedRecords);
      this.syncFailures.push({ atMs: this.simulator.nowMs, id });
      this.crashNode(id, kept);
      this.restartBySupervisor(id);
      return { kind: 'slow', delayMs: 1 }; // never completes: the process is gone
    }
    const slowMs = env.faults.delayMs('store.slowSync');
    return slowMs > 0 ? { kind: 'slow', delayMs: slowMs } : undefined;
  }

  /**
   * The node's process exited on its own (`Environment.exit`, after a failure it could not recover
   * from): a finding of the run, recorded. Its process is gone as after a crash (the OS keeps what
   * was written), and its supervisor starts it again, so the run goes on to its other checks.
   */
  private processExited(id: string, env: SimulatedEnvironment, code: number, reason: string): void {
    const n = this.node(id);
    this.processExits.push({ atMs: this.simulator.nowMs, id, code, reason });
    // A graceful stop under way ends the process itself (stopProcess).
    if (n.process?.env !== env || this.stopping.has(id)) return;
    this.crashNode(id);
    this.restartBySupervisor(id);
  }

  /** The node's supervisor starts its process again a seeded while later, unless something else did. */
  private restartBySupervisor(id: string): void {
    const supervisor = this.simulator.environment({ name: `supervisor-${id}` });
    supervisor.setTimeout(() => {
      if (!this.node(id).process) this.openNode(id).catch(() => undefined);
    }, this.simulator.random.real(300, 3_000));
  }

  /**
   * The node's process dies at once (kill -9): its engine and disk lose what a process crash
   * loses (nothing the OS has; `unsyncedRecordsKept` lower for a power loss), its timers never
   * fire, its servers vanish (callers see connections reset).
   */
  crashNode(id: string, unsyncedRecordsKept = Infinity): void {
    const n = this.node(id);
    if (!n.process) throw new Error(`${id} is not running`);
    n.disk.crash(unsyncedRecordsKept);
    n.process.env.stop();
    this.network.crash(n.process.network);
    n.process = undefined;
  }

  /** The node's disk is replaced by an empty one (a lost volume); its process, if any, dies with it. */
  wipeNode(id: string): void {
    const n = this.node(id);
    n.disk.wipe();
    if (!n.process) return;
    n.process.env.stop();
    this.network.crash(n.process.network);
    n.process = undefined;
  }

  /**
   * Stops a node's process gracefully (SIGTERM): it hands its leaderships away, stops its work,
   * closes its server once it answered what it took, closes its store; then the process exits.
   */
  async stopNode(id: string): Promise<void> {
    await this.run(this.stopProcess(id));
  }

  /** `stopNode` without driving the simulator (for a caller that is part of a simulated run). */
  async stopProcess(id: string): Promise<void> {
    const n = this.node(id);
    const running = n.process;
    if (!running?.node) throw new Error(`${id} is not running`);
    this.stopping.add(id);
    try {
      await running.node.stop('SIGTERM');
    } finally {
      this.stopping.delete(id);
    }
    running.env.stop();
    this.network.crash(running.network);
    n.process = undefined;
  }

  /** A connection from an outside process (an operator's tool) to a storage node. */
  probe(id: string, deadlineMs = 2_000): StorageNodeConnection {
    const env = this.simulator.environment({ name: `probe-${id}` });
    return this.network.process(`probe`, env).storage.connect(this.node(id).address, { deadlineMs });
  }

  /**
   * A router's parts (no HTTP) on their own process, wired as main.ts wires them: gossip, node
   * health, the storage client, the layout follower, the catalog, table statistics (not started:
   * they walk every partition every minute). Resolves once its catalog loaded.
   */
  async startRouter(id = 'router-a', zone = 'a'): Promise<SimRouter> {
    const env = this.simulator.environment({ name: id });
    const network = this.network.process(id, env);
    const identity = { nodeId: id, zone, role: 'router' as const };
    const log = createLogger(identity, undefined, env);
    const registry = createMetricsRegistry(identity, { processMetrics: false });
    const metrics = createRouterMetrics(registry);
    const ring = new ClusterView(this.layout);
    // As main.ts wires a router: it gossips as a member that owns no data, to learn which nodes are down.
    const address = `${id}:7070`;
    const membership = new MembershipAgent(
      { self: { id, zone, role: 'router', address }, seeds: ring.nodes.map((n) => n.address) },
      { environment: env, transport: network.membership(address) },
    );
    network.serveGossip(address, membership);
    membership.start();
    const health = new NodeHealth((nodeId) => membership.member(nodeId)?.status, env);
    const storage = new GrpcStorageClient(ring, zone, health, log, env, network.storage);
    const layoutFollower = new LayoutFollower(ring, (node) => health.isUp(node), log, registry, env, network.storage);
    storage.onStaleLayout = () => layoutFollower.refreshSoon();
    layoutFollower.start();
    const catalog = new Catalog(storage, log, env, metrics.staleIndexListRetries);
    // UpdateTable's index work (fences, backfill, drop), as every router runs it.
    const indexBuilder = new IndexBuilder(catalog, storage, log, env, metrics.indexBackfillProgress);
    // Never on a timer here (interval 0): a check runs a pass when it wants one (`SimRouter.reconciler.runOnce`).
    const reconciler = new IndexReconciler(
      { catalog, storage, log, metrics: { repairs: metrics.gsiReconcilerRepairs, progress: metrics.gsiReconcilerProgress, passes: metrics.gsiReconcilerPasses }, isReconciler: () => true, env },
      { intervalMs: 0 },
    );
    const statistics = new TableStatistics({ storage, log, env, metrics: { refreshes: metrics.tableStatisticsRefreshes, refreshSeconds: metrics.tableStatisticsRefreshSeconds } });
    catalog.onRefresh = (tables) => {
      indexBuilder.onCatalog(tables);
      statistics.onCatalog(tables);
    };
    await this.run(catalog.start());
    const context: OperationContext = { storage, catalog, statistics, region: 'us-east-1', accountId: '000000000000', log, env, caller: UNRESTRICTED_CALLER };
    return new SimRouter(id, this, createOperationRegistry(), context, membership, reconciler);
  }
}

/** A router's operations, called as its HTTP layer calls them (request JSON in, response JSON or a DynamoDB error out). */
export class SimRouter {
  constructor(
    /** Its process name (on the network and in fault hooks). */
    readonly id: string,
    private readonly cluster: SimCluster,
    private readonly operations: OperationRegistry,
    readonly context: OperationContext,
    /** Its gossip: which storage nodes it sees as alive, suspect or dead. */
    readonly membership: MembershipAgent,
    /** The global-index reconciler, passes run only when a check calls `runOnce`. */
    readonly reconciler: IndexReconciler,
  ) {}

  /** Runs one operation by its X-Amz-Target name, driving the simulation until it answers. */
  request(operation: string, body: Record<string, unknown>): Promise<unknown> {
    return this.cluster.run(this.call(operation, body));
  }

  /** One operation, without driving the simulation: for clients that run concurrently inside a simulated run. */
  call(operation: string, body: Record<string, unknown>): Promise<unknown> {
    const run = this.operations.get(operation);
    if (!run) throw new Error(`no operation ${operation}`);
    return run(body, this.context);
  }

  /**
   * `call`, tried again after a retriable error (`ServiceUnavailable`, throttling), as the AWS
   * SDKs retry, up to `attemptsMax` times in all. A write tried again after an unknown outcome
   * may apply twice: callers use it for writes that mean the same either way.
   */
  async callRetrying(operation: string, body: Record<string, unknown>, attemptsMax = SDK_ATTEMPTS_MAX): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(operation, body);
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= attemptsMax) throw error;
      }
    }
  }

  /** `callRetrying`, driving the simulation until it answers. */
  requestRetrying(operation: string, body: Record<string, unknown>, attemptsMax = SDK_ATTEMPTS_MAX): Promise<unknown> {
    return this.cluster.run(this.callRetrying(operation, body, attemptsMax));
  }
}
