import { createLogger, createMetricsRegistry } from '@triad/observability';
import { ClusterView, type ClusterLayout } from '@triad/ring';
import { MembershipAgent } from '@triad/membership';
import { Catalog, GrpcStorageClient, LayoutFollower, NodeHealth, TableStatistics, createOperationRegistry, createRouterMetrics, type OperationContext, type OperationRegistry, UNRESTRICTED_CALLER } from '@triad/router';
import type { StorageNodeConnection } from '@triad/rpc';
import { Simulator, type SimulatedClockOptions, type SimulatedEnvironment } from '@triad/runtime';
import { MemoryDisk, MemoryStore, StorageNode, type PlantedBugs } from '@triad/storage-node';
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

  constructor(options: SimClusterOptions) {
    this.simulator = new Simulator(options.seed);
    this.network = new SimNetwork(this.simulator, options.network);
    const nodes = options.nodes ?? [
      { id: 'storage-a', zone: 'a' },
      { id: 'storage-b', zone: 'b' },
      { id: 'storage-c', zone: 'c' },
    ];
    this.layout = { partitionCount: options.partitions ?? 8, storageNodes: nodes.map((n) => ({ ...n, address: `${n.id}:7000` })) };
    for (const n of this.layout.storageNodes) this.nodes.set(n.id, { ...n, disk: new MemoryDisk() });
    this.plantedBugs = options.plantedBugs;
  }

  /** Drives the simulator until `promise` settles (see `runUntilSettled`). */
  run<T>(promise: Promise<T>, limitMs = STEP_SIMULATED_MS_MAX): Promise<T> {
    return runUntilSettled(this.simulator, promise, limitMs);
  }

  /** Lets simulated time pass (every event due runs). */
  advance(ms: number): Promise<void> {
    return this.simulator.advanceBy(ms);
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
    const store = new MemoryStore(n.disk, {
      // Every step RocksDB completes later is an event of the node's own: a dead node's never run.
      schedule: (run, _step, delayMs) => (delayMs > 0 ? env.setTimeout(run, delayMs) : env.defer(run)),
    });
    const opened = StorageNode.open({
      id,
      zone: n.zone,
      listen: n.address,
      dataDir: `/sim/${id}`,
      // Handed over, not read from a file: a run does no real I/O.
      layoutFile: '',
      layout: this.layout,
      antiEntropyIntervalMs: 30_000,
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
    await running.node.stop('SIGTERM');
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
    const registry = createMetricsRegistry(identity);
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
    const statistics = new TableStatistics({ storage, log, env, metrics: { refreshes: metrics.tableStatisticsRefreshes, refreshSeconds: metrics.tableStatisticsRefreshSeconds } });
    catalog.onRefresh = (tables) => statistics.onCatalog(tables);
    await this.run(catalog.start());
    const context: OperationContext = { storage, catalog, statistics, region: 'us-east-1', accountId: '000000000000', log, env, caller: UNRESTRICTED_CALLER };
    return new SimRouter(this, createOperationRegistry(), context, membership);
  }
}

/** A router's operations, called as its HTTP layer calls them (request JSON in, response JSON or a DynamoDB error out). */
export class SimRouter {
  constructor(
    private readonly cluster: SimCluster,
    private readonly operations: OperationRegistry,
    readonly context: OperationContext,
    /** Its gossip: which storage nodes it sees as alive, suspect or dead. */
    readonly membership: MembershipAgent,
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
   * `request`, tried again after a retriable error (`ServiceUnavailable`, throttling), as the AWS
   * SDKs retry, up to `attemptsMax` times in all. A write tried again after an unknown outcome
   * may apply twice: callers use it for writes that mean the same either way.
   */
  async requestRetrying(operation: string, body: Record<string, unknown>, attemptsMax = SDK_ATTEMPTS_MAX): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request(operation, body);
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= attemptsMax) throw error;
      }
    }
  }
}
