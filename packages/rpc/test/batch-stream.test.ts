import * as grpc from '@grpc/grpc-js';
import { loadProto } from '../src/proto-loader';
import { INSECURE } from '../src/grpc-tls';
import { StorageNodeClient, isUnreachable, startStorageServer } from '../src/storage-service';
import type { ReadBatch, ReadBatchReply, StorageNodeService } from '../src/storage-messages';

/** A storage service whose only working methods are `read` and those in `more`. */
function serviceWithRead(read: (request: ReadBatch) => Promise<ReadBatchReply>, more: Partial<StorageNodeService> = {}): StorageNodeService {
  const methods: Partial<StorageNodeService> = { read, ...more };
  return new Proxy({} as StorageNodeService, {
    get: (_target, name) => methods[name as keyof StorageNodeService] ?? (async () => Promise.reject(new Error(`${String(name)} is not served here`))),
  });
}

/** Answers each key with its own bytes as the item; a key's first byte is a delay in ms. */
async function echo(request: ReadBatch): Promise<ReadBatchReply> {
  const delayMs = Math.max(0, ...request.keys.map((k) => k.key[0] ?? 0));
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return { results: request.keys.map((k) => ({ found: true, item: Buffer.from(k.key) })) };
}

const key = (delayMs: number, text: string) => Buffer.concat([Buffer.from([delayMs]), Buffer.from(text)]);

describe('batches over long-lived streams (ReadStream and the others alike)', () => {
  let server: grpc.Server | undefined;
  let client: StorageNodeClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    if (server) await new Promise<void>((resolve) => server!.tryShutdown(() => resolve()));
    server = undefined;
  });

  async function start(read: (request: ReadBatch) => Promise<ReadBatchReply>, deadlineMs = 2_000, more: Partial<StorageNodeService> = {}): Promise<StorageNodeClient> {
    const started = await startStorageServer(serviceWithRead(read, more), '127.0.0.1:0', INSECURE);
    server = started.server;
    client = new StorageNodeClient(`127.0.0.1:${started.port}`, deadlineMs, INSECURE);
    return client;
  }

  it('matches each reply to its batch when the node answers out of order', async () => {
    const c = await start(echo);
    const slow = c.read({ keys: [{ partition: 1, key: key(60, 'slow') }] });
    const fast = c.read({ keys: [{ partition: 2, key: key(0, 'fast-1') }, { partition: 3, key: key(0, 'fast-2') }] });
    const order: string[] = [];
    const [slowReply, fastReply] = await Promise.all([
      slow.then((r) => (order.push('slow'), r)),
      fast.then((r) => (order.push('fast'), r)),
    ]);
    expect(order).toEqual(['fast', 'slow']);
    expect(slowReply.results.map((r) => r.item.subarray(1).toString())).toEqual(['slow']);
    expect(fastReply.results.map((r) => r.item.subarray(1).toString())).toEqual(['fast-1', 'fast-2']);
  });

  it('fails a batch the node fails with the status a unary call would have had, and only that batch', async () => {
    const c = await start(async (request) => {
      if (request.keys[0].key.toString() === 'bad') throw Object.assign(new Error('draining'), { grpcCode: grpc.status.UNAVAILABLE });
      if (request.keys[0].key.toString() === 'broken') throw new Error('disk on fire');
      return echo(request);
    });
    const bad = c.read({ keys: [{ partition: 1, key: Buffer.from('bad') }] });
    const broken = c.read({ keys: [{ partition: 1, key: Buffer.from('broken') }] });
    const good = c.read({ keys: [{ partition: 1, key: key(0, 'good') }] });
    await expect(bad).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'draining' });
    await expect(bad.catch((e: unknown) => isUnreachable(e))).resolves.toBe(true);
    await expect(broken).rejects.toMatchObject({ code: grpc.status.INTERNAL, details: 'disk on fire' });
    await expect(good).resolves.toMatchObject({ results: [{ found: true }] });
  });

  it('fails a batch not answered within the deadline as DEADLINE_EXCEEDED, then reads on a new stream', async () => {
    let stall = true;
    const c = await start((request) => (stall ? new Promise<ReadBatchReply>(() => undefined) : echo(request)), 200);
    const stalled = c.read({ keys: [{ partition: 1, key: key(0, 'x') }] });
    await expect(stalled).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(isUnreachable(await stalled.catch((e: unknown) => e))).toBe(true);
    stall = false;
    await expect(c.read({ keys: [{ partition: 1, key: key(0, 'y') }] })).resolves.toMatchObject({ results: [{ found: true }] });
  });

  it('lets the node shut down gracefully while a router holds a stream open', async () => {
    const c = await start(echo);
    await c.read({ keys: [{ partition: 1, key: key(0, 'warm') }] });
    const stopped = Date.now();
    await new Promise<void>((resolve) => server!.tryShutdown(() => resolve()));
    server = undefined;
    expect(Date.now() - stopped).toBeLessThan(1_000);
    const after = await c.read({ keys: [{ partition: 1, key: key(0, 'late') }] }).catch((e: unknown) => e);
    expect(isUnreachable(after)).toBe(true);
  });

  it('falls back to unary Read calls for a node without ReadStream', async () => {
    const legacy = new grpc.Server();
    const definition = (loadProto('triad/storage.proto') as unknown as {
      triad: { storage: { v1: { StorageNode: grpc.ServiceClientConstructor } } };
    }).triad.storage.v1.StorageNode.service;
    // Only the unary Read: grpc-js answers the other methods UNIMPLEMENTED, as an older node would ReadStream.
    legacy.addService(definition, {
      Read: (call: grpc.ServerUnaryCall<ReadBatch, ReadBatchReply>, callback: grpc.sendUnaryData<ReadBatchReply>) => {
        echo(call.request).then((reply) => callback(null, reply), callback);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      legacy.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    server = legacy;
    client = new StorageNodeClient(`127.0.0.1:${port}`, 2_000, INSECURE);
    const first = await client.read({ keys: [{ partition: 1, key: key(0, 'one') }] });
    const second = await client.read({ keys: [{ partition: 1, key: key(0, 'two') }] });
    expect([first, second].map((r) => r.results[0].item.subarray(1).toString())).toEqual(['one', 'two']);
  });

  it('carries item operations, leader replication and election packets on their streams, each reply to its batch', async () => {
    const c = await start(echo, 2_000, {
      execute: async (request) => ({ results: request.ops.map((op) => ({ errorName: '', errorMessage: '', body: op.body })) }),
      replicate: async (request) => ({ applied: request.records.length, refused: request.fromLeader ? 1 : 0, refusedIndexes: request.fromLeader ? [0] : [] }),
      election: async (packet) => ({ from: 'node-b', payload: Buffer.from(`ack:${packet.payload.toString()}`) }),
    });
    const op = (text: string) => ({ partition: 1, key: Buffer.from('k'), kind: 'OP_KIND_GET' as const, body: Buffer.from(text) });
    const [one, two] = await Promise.all([c.execute({ ops: [op('a'), op('b')] }), c.execute({ ops: [op('c')] })]);
    expect([one.results.map((r) => r.body.toString()), two.results.map((r) => r.body.toString())]).toEqual([['a', 'b'], ['c']]);
    const record = { partition: 1, key: Buffer.from('k'), value: Buffer.from('v') };
    await expect(c.replicateOnStream({ records: [record, record], fromLeader: true, from: 'node-a' })).resolves.toMatchObject({ applied: 2, refused: 1, refusedIndexes: [0] });
    const reply = await c.election({ from: 'node-a', payload: Buffer.from('heartbeat') });
    expect([reply.from, reply.payload.toString()]).toEqual(['node-b', 'ack:heartbeat']);
  });
});
