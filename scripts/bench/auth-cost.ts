/**
 * What SigV4 verification and policy evaluation cost per request, without a cluster: the router's
 * own code (header object, target, authenticate, caller, authorize for GetItem) on requests the AWS
 * SDK's signer and the bench's signer made, and the bench client's signing. Prints CPU µs/op per case.
 *
 *   npx tsx scripts/bench/auth-cost.ts [--ops 100000] [--rounds 3] [--only verify-sdk,...]
 *   node --cpu-prof --cpu-prof-dir .scratch/prof --import tsx scripts/bench/auth-cost.ts --only verify-sdk
 *
 * To compare two versions, run it from each tree in turn (A, B, A, B): each tree's own code is loaded.
 */
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { parsePolicyDocument } from '@triad/iam';
import type { Environment } from '@triad/runtime';
import { realEnvironment } from '@triad/runtime';
import { signedHeaders } from '@triad/cli';
import { NodeSha256 } from '@triad/harness';
import { DynamoHttpClient } from './http-client';
import { EnforcingAuthenticator, type KeySource } from '../../packages/router/src/auth/authenticator';
import { signedRequestOf, targetOf } from '../../packages/router/src/auth/http-auth';
import { keyPolicyCallers } from '../../packages/router/src/auth/key-policy-callers';
import type { AccessKeyStore } from '../../packages/router/src/auth/access-key-store';
import type { VerificationKey } from '../../packages/router/src/auth/verify-signature';
import { itemRequest, pointReadSelect, resourceArn } from '../../packages/router/src/authorization';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    bodies: { type: 'string', default: '1000' },
  },
});
const OPS = Number(args.ops);
const ROUNDS = Number(args.rounds);
const BODIES = Number(args.bodies);

const REGION = 'us-east-1';
const HOST = '127.0.0.1:8000';
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const OPEN_KEY: VerificationKey = { accessKeyId: 'TRIADBENCHKEY0000001', secret: 'bench-secret-0123456789-abcdefghijklmnop', name: 'seed:bench', enabled: true, admin: false };
const POLICY_KEY: VerificationKey = { accessKeyId: 'TRIADPOLICYKEY000001', secret: 'policy-secret-0123456789-abcdefghijklmno', name: 'app', enabled: true, admin: false };
/** A policy like AWS's examples: GetItem and friends on one table, only the caller's own items, no whole-item reads of another. */
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OwnItems',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: ['arn:aws:dynamodb:*:*:table/usertable', 'arn:aws:dynamodb:*:*:table/usertable/index/*'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['user*'] } },
    },
    { Sid: 'NoAdmin', Effect: 'Deny', Action: ['dynamodb:DeleteTable', 'dynamodb:UpdateTable'], Resource: '*' },
  ],
});

const env: Environment = { ...realEnvironment, nowMs: () => NOW };
const keys: KeySource = { find: (id) => [OPEN_KEY, POLICY_KEY].find((k) => k.accessKeyId === id) };
const policies = new Map([[POLICY_KEY.accessKeyId, [parsePolicyDocument(POLICY)]]]);
const store = { policiesOf: (id: string) => policies.get(id) ?? (keys.find(id) ? [] : undefined) } as unknown as AccessKeyStore;


function getItemBody(i: number): string {
  return `{"TableName":"usertable","Key":{"pk":{"S":"user${String(i).padStart(10, '0')}"}}}`;
}

interface Wire {
  /** Raw header lines as Node's parser hands them over (name, value, name, value, ...). */
  rawHeaders: string[];
  body: Buffer;
}

/** A GetItem as the AWS SDK v3 for JavaScript sends it from Node (its header set, signed by its signer). */
async function sdkSigned(key: VerificationKey, body: string): Promise<Wire> {
  const signer = new SignatureV4({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secret }, region: REGION, service: 'dynamodb', sha256: NodeSha256 });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 8000,
      path: '/',
      query: {},
      headers: {
        host: HOST,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'content-length': String(Buffer.byteLength(body)),
        'amz-sdk-invocation-id': '3f0e8d1c-4b7a-4c55-9d0e-6a1f2b3c4d5e',
        'amz-sdk-request': 'attempt=1; max=3',
        'x-amz-user-agent': 'aws-sdk-js/3.700.0',
        'user-agent': 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.12.0 api/dynamodb#3.700.0 m/E',
      },
      body,
    },
    { signingDate: new Date(NOW) },
  );
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(signed.headers)) rawHeaders.push(name, value);
  rawHeaders.push('Connection', 'keep-alive');
  return { rawHeaders, body: Buffer.from(body) };
}

/** A GetItem as scripts/bench's client sends it (its signer, its headers). */
function benchSigned(key: VerificationKey, body: string): Wire {
  const headers = signedHeaders(new URL(`http://${HOST}/`), 'DynamoDB_20120810.GetItem', body, { accessKeyId: key.accessKeyId, secretAccessKey: key.secret }, REGION, NOW);
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(headers)) rawHeaders.push(name, value);
  rawHeaders.push('content-length', String(Buffer.byteLength(body)));
  return { rawHeaders, body: Buffer.from(body) };
}

const socket = new net.Socket();

/** A fresh IncomingMessage per request, as the HTTP parser makes one (its header objects are built on first use). */
function incoming(wire: Wire): http.IncomingMessage {
  const req = new http.IncomingMessage(socket);
  req.method = 'POST';
  req.url = '/';
  // What Node's parser does on headers complete (the header objects themselves are built on first use).
  (req as unknown as { _addHeaderLines(headers: string[], n: number): void })._addHeaderLines(wire.rawHeaders, wire.rawHeaders.length);
  return req;
}

let sink = 0;

/** The router's work on one GetItem between reading its body and running it (http-server.ts, get-item.ts). */
function routerAuthPath(authenticator: EnforcingAuthenticator, callerFor: ReturnType<typeof keyPolicyCallers>, wire: Wire): void {
  const req = incoming(wire);
  const target = targetOf(req);
  const principal = authenticator.authenticate(signedRequestOf(req, wire.body));
  const body = JSON.parse(wire.body.toString('utf8')) as { TableName: string; Key: Record<string, { S: string }> };
  const caller = callerFor(principal, req);
  caller.authorize([
    itemRequest('GetItem', resourceArn({ region: REGION, accountId: '000000000000' }, body.TableName), {
      leadingKey: body.Key.pk,
      attributes: undefined,
      select: pointReadSelect(false),
      returnConsumedCapacity: undefined,
    }),
  ]);
  sink += target.length;
}

async function main(): Promise<void> {
  const bodies = Array.from({ length: BODIES }, (_, i) => getItemBody(i));
  const sdkOpen = await Promise.all(bodies.map((b) => sdkSigned(OPEN_KEY, b)));
  const sdkPolicy = await Promise.all(bodies.map((b) => sdkSigned(POLICY_KEY, b)));
  const benchOpen = bodies.map((b) => benchSigned(OPEN_KEY, b));
  const authenticator = new EnforcingAuthenticator(keys, REGION, env);
  const preparedBench = benchOpen.map((wire) => signedRequestOf(incoming(wire), wire.body));
  const callerFor = keyPolicyCallers(store, '000000000000', env);
  const credentials = { accessKeyId: OPEN_KEY.accessKeyId, secretAccessKey: OPEN_KEY.secret };
  // Its private signing method, as it runs for every request (it opens no connection until called).
  const benchClient = new DynamoHttpClient(`http://${HOST}`, 1, 1000, credentials) as unknown as {
    signer?: unknown;
    signedRequest(op: string, body: string, signer: unknown): string;
  };

  const cases: Record<string, (i: number) => void> = {
    // The bench client's signing and request text (scripts/bench/http-client.ts signedRequest, on the real clock).
    'sign-bench': (i) => {
      sink += benchClient.signedRequest('GetItem', bodies[i % BODIES], benchClient.signer ?? credentials).length;
    },
    // The router's path for a key without policies (the bench's key), SDK-signed and bench-signed.
    'verify-sdk': (i) => routerAuthPath(authenticator, callerFor, sdkOpen[i % BODIES]),
    'verify-bench': (i) => routerAuthPath(authenticator, callerFor, benchOpen[i % BODIES]),
    // The same with a key whose policy is evaluated (leading key condition, wildcard resources).
    'verify-sdk-policy': (i) => routerAuthPath(authenticator, callerFor, sdkPolicy[i % BODIES]),
    // Verification alone, on requests whose header objects are built already.
    'authenticate-only': (i) => {
      sink += authenticator.authenticate(preparedBench[i % BODIES]).name.length;
    },
    // What a fresh IncomingMessage's header objects and JSON parse cost alone (not auth: the floor).
    'floor-headers-json': (i) => {
      const wire = sdkOpen[i % BODIES];
      const req = incoming(wire);
      sink += Object.keys(req.headers).length + JSON.stringify(JSON.parse(wire.body.toString('utf8'))).length;
    },
  };
  const only = args.only ? new Set(args.only.split(',')) : undefined;
  for (const name of Object.keys(cases)) if (only && !only.has(name)) delete cases[name];
  for (const [name, run] of Object.entries(cases)) for (let i = 0; i < 2000; i++) run(i); // warm up, and fail fast
  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      // CPU time, not wall time: on a shared machine the wall clock also counts the time others run.
      const start = process.cpuUsage();
      for (let i = 0; i < OPS; i++) run(i);
      const used = process.cpuUsage(start);
      const usPerOp = (used.user + used.system) / OPS;
      results.set(name, [...(results.get(name) ?? []), usPerOp]);
    }
  }
  for (const [name, samples] of results) {
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(`${name.padEnd(20)} ${sorted[0].toFixed(2).padStart(7)} CPU µs/op (min of ${ROUNDS}; median ${sorted[Math.floor(ROUNDS / 2)].toFixed(2)})`);
  }
  if (sink === -1) console.log(sink);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
