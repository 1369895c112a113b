import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GrpcMembershipTransport, startMembershipServer } from '@triad/membership';
import { INSECURE, loadGrpcTls, type GrpcSecurity } from '@triad/rpc';
import { ensureLocalCertificates } from '../src/certs/cluster-ca';

/**
 * Mutual TLS between processes, on loopback: a peer with a certificate from the cluster CA gets
 * through; one with none, or with one from another CA, is refused before any handler runs.
 */

let dir: string;
let server: grpc.Server;
let address: string;
let member: GrpcSecurity;
let stranger: GrpcSecurity;
let handled = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-mtls-'));
  const cluster = ensureLocalCertificates(path.join(dir, 'cluster'), ['node', 'client'], Date.now());
  const other = ensureLocalCertificates(path.join(dir, 'other'), ['intruder'], Date.now());
  member = { kind: 'mtls', tls: loadGrpcTls(cluster.get('client')!) };
  stranger = { kind: 'mtls', tls: loadGrpcTls(other.get('intruder')!) };
  const started = await startMembershipServer(
    '127.0.0.1:0',
    {
      handleGossip: () => {
        handled++;
        return { type: 'ack', seqNo: 1, from: 'node', fromAddress: 'node:1', updates: [] };
      },
    },
    { kind: 'mtls', tls: loadGrpcTls(cluster.get('node')!) },
  );
  server = started.server;
  address = `127.0.0.1:${started.port}`;
});

afterAll(() => {
  server.forceShutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ping = { type: 'ping' as const, seqNo: 1, from: 'c', fromAddress: 'c:1', targetId: 'node', updates: [] };

test('a member of the cluster gossips', async () => {
  const transport = new GrpcMembershipTransport('c:1', member);
  await expect(transport.send(address, ping, 3_000)).resolves.toMatchObject({ type: 'ack' });
  transport.close();
});

test.each([
  ['plaintext', () => INSECURE],
  ['a certificate from another CA', () => stranger],
])('a client with %s is refused, and no handler runs', async (_name, security) => {
  const before = handled;
  const transport = new GrpcMembershipTransport('c:1', security());
  await expect(transport.send(address, ping, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  transport.close();
  expect(handled).toBe(before);
});

test('a client without any certificate (TLS, trusting the CA) is refused', async () => {
  const { ca } = member.kind === 'mtls' ? member.tls : { ca: Buffer.alloc(0) };
  const client = new grpc.Client(address, grpc.credentials.createSsl(ca, null, null, { checkServerIdentity: () => undefined }), {
    'grpc.ssl_target_name_override': 'triad',
  });
  const outcome = await new Promise<grpc.ServiceError | null>((resolve) =>
    client.makeUnaryRequest(
      '/triad.membership.v1.Membership/Gossip',
      (x: Buffer) => x,
      (x: Buffer) => x,
      Buffer.alloc(0),
      { deadline: Date.now() + 3_000 },
      (error) => resolve(error),
    ),
  );
  client.close();
  expect(outcome?.code).toBe(grpc.status.UNAVAILABLE);
});


test('during a CA rotation a server trusting both CAs (a bundle in ca.crt) takes clients of either', async () => {
  const other = ensureLocalCertificates(path.join(dir, 'other'), ['intruder'], Date.now());
  const cluster = ensureLocalCertificates(path.join(dir, 'cluster'), ['node'], Date.now());
  const node = loadGrpcTls(cluster.get('node')!);
  const bundle = Buffer.concat([node.ca, loadGrpcTls(other.get('intruder')!).ca]);
  const started = await startMembershipServer('127.0.0.1:0', { handleGossip: () => null }, { kind: 'mtls', tls: { ...node, ca: bundle } });
  try {
    for (const security of [member, stranger]) {
      // The client side trusts the server's CA too (its own bundle, as step 1 of the rotation gives every process).
      const client = security.kind === 'mtls' ? { kind: 'mtls' as const, tls: { ...security.tls, ca: bundle } } : security;
      const transport = new GrpcMembershipTransport('c:1', client);
      await expect(transport.send(`127.0.0.1:${started.port}`, ping, 3_000)).resolves.toBeNull();
      transport.close();
    }
  } finally {
    started.server.forceShutdown();
  }
});
