import fs from 'node:fs';
import type https from 'node:https';
import { parseArgs } from 'node:util';
import { createLogger, createMetricsRegistry, type Logger } from '@triad/observability';
import { GrpcMembershipTransport, MembershipAgent, observeMembership, startMembershipServer } from '@triad/membership';
import { GRPC_TLS_ENV, envFlag, grpcSecurityFromFlags, grpcStorageConnector } from '@triad/rpc';
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
import { createHttpEdge } from './http/http-edge';
import { HTTP_EDGE_LIMITS_DEFAULT, connectionsMaxForFdLimit, openFilesSoftLimit, type HttpEdgeLimits } from './http/http-limits';
import { TLS_RELOAD_INTERVAL_MS_DEFAULT, TlsReloader, readHttpTls } from './http/tls-reloader';
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
 * `--gsi-reconcile-interval-ms` (how often global indexes are compared with their tables; 0: never),
 * `--tls-cert FILE --tls-key FILE` (serve the API over HTTPS, reloading renewed files; checked
 * every `--tls-reload-interval-ms`),
 * `--grpc-tls-dir DIR` (mutual TLS with the cluster CA on gossip and calls to storage nodes) or
 * `--grpc-insecure`.
 * The HTTP edge's limits (http/http-limits.ts): `--max-connections` (lowered to fit the process's
 * open-files limit), `--headers-timeout-ms`, `--idle-timeout-ms`, `--request-timeout-ms`,
 * `--body-bytes-in-flight-max`.
 * Authentication (docs/security.md): `--auth enforce|open` (default: open on a loopback `--host`,
 * enforce on any other), `--auth-open-insecure` (allows open on a non-loopback address),
 * `--master-key-file` (seals access keys' secrets; needed to enforce), `--previous-master-key-file
 * OLD` (also TRIAD_PREVIOUS_MASTER_KEY_FILE; opens secrets sealed under OLD and re-seals them under
 * the current key: a master key rotation, docs/security.md), `--credentials FILE`
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
      'max-connections': { type: 'string', default: process.env.TRIAD_MAX_CONNECTIONS ?? String(HTTP_EDGE_LIMITS_DEFAULT.connectionsMax) },
      'headers-timeout-ms': { type: 'string', default: process.env.TRIAD_HEADERS_TIMEOUT_MS ?? String(HTTP_EDGE_LIMITS_DEFAULT.headersTimeoutMs) },
      'idle-timeout-ms': { type: 'string', default: process.env.TRIAD_IDLE_TIMEOUT_MS ?? String(HTTP_EDGE_LIMITS_DEFAULT.idleTimeoutMs) },
      'request-timeout-ms': { type: 'string', default: process.env.TRIAD_REQUEST_TIMEOUT_MS ?? String(HTTP_EDGE_LIMITS_DEFAULT.requestTimeoutMs) },
      'body-bytes-in-flight-max': { type: 'string', default: process.env.TRIAD_BODY_BYTES_IN_FLIGHT_MAX ?? String(HTTP_EDGE_LIMITS_DEFAULT.bodyBytesInFlightMax) },
      'tls-cert': { type: 'string', default: process.env.TRIAD_TLS_CERT },
      'tls-key': { type: 'string', default: process.env.TRIAD_TLS_KEY },
      'tls-reload-interval-ms': { type: 'string', default: process.env.TRIAD_TLS_RELOAD_INTERVAL_MS ?? String(TLS_RELOAD_INTERVAL_MS_DEFAULT) },
      'grpc-tls-dir': { type: 'string', default: process.env[GRPC_TLS_ENV.dir] },
      'grpc-insecure': { type: 'boolean', default: envFlag(process.env[GRPC_TLS_ENV.insecure]) },
      auth: { type: 'string', default: process.env.TRIAD_AUTH },
      'auth-open-insecure': { type: 'boolean', default: process.env.TRIAD_AUTH_OPEN_INSECURE === '1' },
      'master-key-file': { type: 'string', default: process.env.TRIAD_MASTER_KEY_FILE },
      'previous-master-key-file': { type: 'string', multiple: true, default: process.env.TRIAD_PREVIOUS_MASTER_KEY_FILE ? [process.env.TRIAD_PREVIOUS_MASTER_KEY_FILE] : undefined },
      credentials: { type: 'string', default: process.env.TRIAD_CREDENTIALS_FILE },
      'audit-log': { type: 'string', default: process.env.TRIAD_AUDIT_LOG },
      'audit-tables': { type: 'string', default: process.env.TRIAD_AUDIT_TABLES },
      'audit-skip-tables': { type: 'string', default: process.env.TRIAD_AUDIT_SKIP_TABLES },
    },
  });
  if (!values.layout) throw new Error('--layout is required');
  // Decided before anything starts: a router that would listen open on a network refuses to start.
  const authMode = resolveAuthMode({ requested: values.auth, host: values.host, insecureOpen: values['auth-open-insecure'] });
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new Error('--tls-cert and --tls-key go together');
  const httpTlsFiles = values['tls-cert'] ? { certFile: values['tls-cert'], keyFile: values['tls-key']! } : undefined;
  const grpcSecurity = grpcSecurityFromFlags({ tlsDir: values['grpc-tls-dir'], insecure: values['grpc-insecure'] });
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
  }, { environment: env, transport: new GrpcMembershipTransport(gossipAddress, grpcSecurity) });
  observeMembership(membership, log, registry);
  await startMembershipServer(values['gossip-listen'], membership, grpcSecurity);
  membership.start();
  const health = new NodeHealth((id) => membership.member(id)?.status, env);
  const connector = grpcStorageConnector(env, grpcSecurity);
  const storage = new GrpcStorageClient(ring, values.zone, health, log, env, connector);
  const layoutFollower = new LayoutFollower(ring, (node) => health.isUp(node), log, registry, env, connector);
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
      previousMasterKeyFiles: values['previous-master-key-file'],
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
    edge: createHttpEdge(edgeLimitsFrom(values, log), env, metrics, log),
    tls: httpTlsFiles && readHttpTls(httpTlsFiles),
  });
  const tlsReloader = httpTlsFiles && new TlsReloader(server as https.Server, httpTlsFiles, log, env, Number(values['tls-reload-interval-ms']));
  tlsReloader?.start();
  await new Promise<void>((resolve) => server.listen(Number(values.port), values.host, resolve));
  statistics.start();
  reconciler.start();
  ready = true;
  log.info('router ready', { port: Number(values.port), https: Boolean(httpTlsFiles), grpc: grpcSecurity.kind });

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
    tlsReloader?.stop();
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

/** The HTTP edge's limits from the flags; the connection cap fits the open-files limit. */
function edgeLimitsFrom(values: Record<string, string | string[] | boolean | undefined>, log: Logger): HttpEdgeLimits {
  const number = (name: string): number => {
    const value = Number(values[name]);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got ${String(values[name])}`);
    return value;
  };
  let openFiles: number | undefined;
  try {
    openFiles = openFilesSoftLimit(fs.readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    openFiles = undefined; // not Linux: the cap stays as asked
  }
  const requested = number('max-connections');
  const connectionsMax = connectionsMaxForFdLimit(requested, openFiles);
  if (connectionsMax < requested) log.warn('connection cap lowered to fit the open-files limit', { requested, connectionsMax, openFiles });
  return {
    connectionsMax,
    headersTimeoutMs: number('headers-timeout-ms'),
    idleTimeoutMs: number('idle-timeout-ms'),
    requestTimeoutMs: number('request-timeout-ms'),
    bodyBytesInFlightMax: number('body-bytes-in-flight-max'),
  };
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'error', message: 'router failed to start', error: String(error) }));
  process.exit(1);
});
