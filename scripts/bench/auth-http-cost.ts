/**
 * What authentication costs end to end over HTTP, without a cluster: two router HTTP servers in
 * this process — one open (`--auth open`), one enforcing SigV4 — each answering GetItem from memory,
 * and the bench's own client loading them in turn (unsigned, or signing every request). Prints the
 * process's CPU µs per request of each (server and client together: they share the machine, as in
 * `npm run bench`) and the ratio of their throughputs.
 *
 *   npx tsx scripts/bench/auth-http-cost.ts [--seconds 3] [--slices 4] [--concurrency 32]
 */
import { once } from 'node:events';
import type net from 'node:net';
import { parseArgs } from 'node:util';
import { createMetricsRegistry, createLogger } from '@triad/observability';
import { realEnvironment } from '@triad/runtime';
import { EnforcingAuthenticator, OpenAuthenticator, type Authenticator } from '../../packages/router/src/auth/authenticator';
import type { AccessKeyStore } from '../../packages/router/src/auth/access-key-store';
import { keyPolicyCallers } from '../../packages/router/src/auth/key-policy-callers';
import type { VerificationKey } from '../../packages/router/src/auth/verify-signature';
import { itemRequest, pointReadSelect, resourceArn, UNRESTRICTED_CALLER } from '../../packages/router/src/authorization';
import { createHttpEdge } from '../../packages/router/src/http/http-edge';
import { HTTP_EDGE_LIMITS_DEFAULT } from '../../packages/router/src/http/http-limits';
import { createHttpServer } from '../../packages/router/src/http/http-server';
import { RawJson } from '../../packages/router/src/http/raw-json';
import type { Operation } from '../../packages/router/src/operations/operation';
import type { OperationContext } from '../../packages/router/src/operations/operation-context';
import { createRouterMetrics } from '../../packages/router/src/router-metrics';
import { DynamoHttpClient } from './http-client';
import { BENCH_CREDENTIALS } from './targets';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    slices: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
    modes: { type: 'string', default: 'open,open-signed,enforce' },
  },
});
const SLICE_MS = Number(args.seconds) * 1000;
const SLICES = Number(args.slices);
const CONCURRENCY = Number(args.concurrency);

const ITEM = Buffer.from(JSON.stringify({ pk: { S: 'user0000000001' }, field0: { S: 'x'.repeat(100) } }));
const BENCH_KEY: VerificationKey = { accessKeyId: BENCH_CREDENTIALS.accessKeyId, secret: BENCH_CREDENTIALS.secretAccessKey, name: 'seed:bench', enabled: true, admin: false };

/** GetItem's own work without storage: parse, describe the access to the caller, answer the stored item. */
const getItem: Operation = async (raw, context) => {
  const request = raw as { TableName: string; Key: Record<string, { S: string }> };
  context.caller.authorize([
    itemRequest('GetItem', resourceArn(context, request.TableName), { leadingKey: request.Key.pk, select: pointReadSelect(false) }),
  ]);
  return RawJson.member('Item', ITEM);
};

async function startServer(authenticator: Authenticator): Promise<{ endpoint: string; close(): void }> {
  const registry = createMetricsRegistry({ nodeId: 'bench', zone: 'a', role: 'router' }, { processMetrics: false });
  const metrics = createRouterMetrics(registry);
  const log = createLogger({ nodeId: 'bench', zone: 'a', role: 'router' }, 'error');
  const keys = { policiesOf: (id: string) => (id === BENCH_KEY.accessKeyId ? [] : undefined) } as unknown as AccessKeyStore;
  const context = { env: realEnvironment, region: 'us-east-1', accountId: '000000000000', caller: UNRESTRICTED_CALLER } as unknown as OperationContext;
  const server = createHttpServer({
    operations: new Map([['GetItem', getItem]]),
    context,
    registry,
    metrics,
    log,
    edge: createHttpEdge(HTTP_EDGE_LIMITS_DEFAULT, realEnvironment, metrics, log),
    ready: () => true,
    authenticator,
    callerFor: keyPolicyCallers(keys, '000000000000', realEnvironment),
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A closed loop of CONCURRENCY requests for `ms`: requests done and the process's CPU µs. */
async function load(client: DynamoHttpClient, ms: number): Promise<{ ops: number; cpuUs: number; errors: number }> {
  const body = '{"TableName":"usertable","Key":{"pk":{"S":"user0000000001"}}}';
  const until = Date.now() + ms;
  let ops = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const result = await client.call('GetItem', body);
        if (result.ok) ops++;
        else if (++errors === 1) console.error(`error: ${result.errorType} ${result.message ?? ''}`);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { ops, cpuUs: used.user + used.system, errors };
}

async function main(): Promise<void> {
  const keys = { find: (id: string) => (id === BENCH_KEY.accessKeyId ? BENCH_KEY : undefined) };
  const open = await startServer(new OpenAuthenticator());
  const enforce = await startServer(new EnforcingAuthenticator(keys, 'us-east-1', realEnvironment));
  // open-signed: the open server with a signing client (the client's share of the difference).
  const clients = {
    open: new DynamoHttpClient(open.endpoint, CONCURRENCY, 10_000),
    'open-signed': new DynamoHttpClient(open.endpoint, CONCURRENCY, 10_000, BENCH_CREDENTIALS),
    enforce: new DynamoHttpClient(enforce.endpoint, CONCURRENCY, 10_000, BENCH_CREDENTIALS),
  };
  type Mode = keyof typeof clients;
  const modes = args.modes.split(',') as Mode[];
  const totals = Object.fromEntries(modes.map((m) => [m, { ops: 0, cpuUs: 0, errors: 0 }])) as Record<Mode, { ops: number; cpuUs: number; errors: number }>;
  for (const mode of modes) await load(clients[mode], 1000);
  for (let slice = 0; slice < SLICES; slice++) {
    for (const mode of slice % 2 === 0 ? modes : [...modes].reverse()) {
      const r = await load(clients[mode], SLICE_MS);
      totals[mode].ops += r.ops;
      totals[mode].cpuUs += r.cpuUs;
      totals[mode].errors += r.errors;
    }
  }
  for (const mode of modes) {
    const t = totals[mode];
    console.log(`${mode.padEnd(12)} ${(t.cpuUs / t.ops).toFixed(1).padStart(6)} CPU µs/request (server and client), ${t.ops} requests, ${t.errors} errors`);
  }
  // In a CPU-bound run, throughput goes as the inverse of CPU per request.
  if (totals.open && totals.enforce) {
    console.log(`enforce/open: throughput ${(totals.enforce.ops / totals.open.ops).toFixed(3)}, inverse CPU per request ${(totals.open.cpuUs / totals.open.ops / (totals.enforce.cpuUs / totals.enforce.ops)).toFixed(3)}`);
  }
  for (const client of Object.values(clients)) client.close();
  open.close();
  enforce.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
