import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, createMetricsRegistry } from '@triad/observability';
import { MembershipAgent, observeMembership, startMembershipServer } from '@triad/membership';
import { ClusterView, parseClusterLayout } from '@triad/ring';
import { realEnvironment, sleep } from '@triad/runtime';
import { Catalog } from './catalog/catalog';
import { IndexBuilder } from './catalog/index-builder';
import { GSI_RECONCILE_INTERVAL_MS_DEFAULT, IndexReconciler } from './catalog/index-reconciler';
import { isFirstLiveRouter } from './cluster/router-roles';
import { TABLE_STATS_INTERVAL_MS_DEFAULT, TableStatistics } from './catalog/table-statistics';
import { GrpcStorageClient } from './cluster/grpc-storage-client';
import { LayoutFollower } from './cluster/layout-follower';
import { NodeHealth } from './cluster/node-health';
import { createHttpServer } from './http/http-server';
import { createOperationRegistry } from './operations';
import { createRouterMetrics } from './router-metrics';
import { resolveAuthMode } from './auth/auth-mode';
import { startAuth } from './auth/start-auth';
import { UNRESTRICTED_CALLER } from './authorization';
import { keyPolicyCallers } from './auth/key-policy-callers';

/** The account id ARNs and policies name: one cluster is one account. */
const ACCOUNT_ID = '000000000000';

/** Pause between attempts to load the catalog while storage nodes start. */
const STARTUP_RETRY_MS = 200;

/**
 * Starts one request router: `--id`, `--zone`, `--port`, `--host`, `--layout file`, `--region`,
 * `--table-stats-interval-ms` (how often tables' item counts and sizes are recounted),
 * `--gsi-reconcile-interval-ms` (how often global indexes are compared with their tables; 0: never).
 * Authentication (docs/security.md): `--auth enforce|open` (default: open on a loopback `--host`,
 * enforce on any other), `--auth-open-insecure` (allows open on a non-loopback address),
 * `--master-key-file` (seals access keys' secrets; needed to enforce), `--credentials FILE`
 * (access keys to seed, `ID SECRET [admin]` per line; also TRIAD_CREDENTIALS), `--audit-log FILE`,
 * `--audit-tables a,b`, `--audit-skip-tables c`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string', default: process.env.TRIAD_NODE_ID ?? 'router-1' },
      zone: { type: 'string', default: process.env.TRIAD_ZONE ?? 'a' },
      port: { type: 'string', default: process.env.TRIAD_PORT ?? '8000' },
      host: { type: 'string', default: process.env.TRIAD_HOST ?? '0.0.0.0' },
      layout: { type: 'string', default: process.env.TRIAD_LAYOUT },
      region: { type: 'string', default: process.env.TRIAD_REGION ?? 'us-east-1' },
      'gossip-listen': { type: 'string', default: process.env.TRIAD_GOSSIP_LISTEN ?? '0.0.0.0:7070' },
      'gossip-advertise': { type: 'string', default: process.env.TRIAD_GOSSIP_ADVERTISE },
      'table-stats-interval-ms': { type: 'string', default: process.env.TRIAD_TABLE_STATS_INTERVAL_MS ?? String(TABLE_STATS_INTERVAL_MS_DEFAULT) },
      'gsi-reconcile-interval-ms': { type: 'string', default: process.env.TRIAD_GSI_RECONCILE_INTERVAL_MS ?? String(GSI_RECONCILE_INTERVAL_MS_DEFAULT) },
      auth: { type: 'string', default: process.env.TRIAD_AUTH },
      'auth-open-insecure': { type: 'boolean', default: process.env.TRIAD_AUTH_OPEN_INSECURE === '1' },
      'master-key-file': { type: 'string', default: process.env.TRIAD_MASTER_KEY_FILE },
      credentials: { type: 'string', default: process.env.TRIAD_CREDENTIALS_FILE },
      'audit-log': { type: 'string', default: process.env.TRIAD_AUDIT_LOG },
      'audit-tables': { type: 'string', default: process.env.TRIAD_AUDIT_TABLES },
      'audit-skip-tables': { type: 'string', default: process.env.TRIAD_AUDIT_SKIP_TABLES },
    },
  });
  if (!values.layout) throw new Error('--layout is required');
  // Decided before anything starts: a router that would listen open on a network refuses to start.
  const authMode = resolveAuthMode({ requested: values.auth, host: values.host, insecureOpen: values['auth-open-insecure'] });
  // Every part takes its clocks, timers and randomness from here (a simulator would pass its own).
  const env = realEnvironment;
  const identity = { nodeId: values.id, zone: values.zone, role: 'router' as const };
  const log = createLogger(identity, undefined, env);
  const registry = createMetricsRegistry(identity);
  const metrics = createRouterMetrics(registry);
  // The layout file seeds the router; it then follows newer layouts (joins, decommissions) from the storage nodes.
  const ring = new ClusterView(parseClusterLayout(JSON.parse(fs.readFileSync(values.layout, 'utf8'))));
  // Routers gossip too, as members that own no data, so they learn which storage nodes are down.
  const gossipAddress = values['gossip-advertise'] ?? values['gossip-listen'];
  const membership = new MembershipAgent({
    self: { id: values.id, zone: values.zone, role: 'router', address: gossipAddress },
    seeds: ring.nodes.map((n) => n.address),
  }, { environment: env });
  observeMembership(membership, log, registry);
  await startMembershipServer(values['gossip-listen'], membership);
  membership.start();
  const health = new NodeHealth((id) => membership.member(id)?.status, env);
  const storage = new GrpcStorageClient(ring, values.zone, health, log, env);
  const layoutFollower = new LayoutFollower(ring, (node) => health.isUp(node), log, registry, env);
  storage.onStaleLayout = () => layoutFollower.refreshSoon();
  layoutFollower.start();
  const catalog = new Catalog(storage, log, env, metrics.staleIndexListRetries);
  const indexBuilder = new IndexBuilder(catalog, storage, log, env, metrics.indexBackfillProgress);
  const reconciler = new IndexReconciler(
    {
      catalog,
      storage,
      log,
      metrics: { repairs: metrics.gsiReconcilerRepairs, progress: metrics.gsiReconcilerProgress, passes: metrics.gsiReconcilerPasses },
      isReconciler: () => isFirstLiveRouter(membership.members(), values.id),
      env,
    },
    { intervalMs: Number(values['gsi-reconcile-interval-ms']) },
  );
  const statistics = new TableStatistics(
    { storage, log, env, metrics: { refreshes: metrics.tableStatisticsRefreshes, refreshSeconds: metrics.tableStatisticsRefreshSeconds } },
    { intervalMs: Number(values['table-stats-interval-ms']) },
  );
  catalog.onRefresh = (tables) => {
    indexBuilder.onCatalog(tables);
    statistics.onCatalog(tables);
  };
  let ready = false;

  for (;;) {
    try {
      await catalog.start();
      break;
    } catch (error) {
      log.info('waiting for storage nodes', { error: String(error) });
      await sleep(env, STARTUP_RETRY_MS);
    }
  }
  const auth = await startAuth(
    {
      mode: authMode,
      masterKeyFile: values['master-key-file'],
      credentialsFile: values.credentials,
      credentialsText: process.env.TRIAD_CREDENTIALS,
      auditLogFile: values['audit-log'],
      auditTables: values['audit-tables'],
      auditSkipTables: values['audit-skip-tables'],
    },
    { storage, log, env, registry, region: values.region },
  );
  const server = createHttpServer({
    operations: createOperationRegistry(),
    context: { storage, catalog, statistics, region: values.region, accountId: ACCOUNT_ID, log, env, caller: UNRESTRICTED_CALLER },
    registry,
    metrics,
    log,
    ready: () => ready,
    authenticator: auth.authenticator,
    callerFor: keyPolicyCallers(auth.keys, ACCOUNT_ID, env),
    adminOperations: auth.adminOperations,
    audit: auth.audit,
    routerId: values.id,
  });
  // Clients keep connections open between requests; Node's default 5 s idle timeout races them.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(Number(values.port), values.host, resolve));
  statistics.start();
  reconciler.start();
  ready = true;
  log.info('router ready', { port: Number(values.port) });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ready = false;
    log.info('router stopping', { signal });
    catalog.stop();
    layoutFollower.stop();
    indexBuilder.stop();
    reconciler.stop();
    statistics.stop();
    server.close(async () => {
      await auth.stop();
      storage.close();
      await membership.stop();
      log.info('router stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'error', message: 'router failed to start', error: String(error) }));
  process.exit(1);
});
