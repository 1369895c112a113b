import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { realEnvironment } from '@triad/runtime';
import { DynamoHttpClient } from '../http-client';
import { EnforcingAuthenticator } from '../../../packages/router/src/auth/authenticator';
import { signedRequestOf } from '../../../packages/router/src/auth/http-auth';
import type { VerificationKey } from '../../../packages/router/src/auth/verify-signature';

/** A real HTTP server on loopback that answers as the test tells it to. */
async function serve(handler: http.RequestListener): Promise<{ endpoint: string; server: http.Server; connections: () => number }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('DynamoHttpClient', () => {
  const closers: Array<() => void> = [];
  afterEach(() => closers.splice(0).forEach((close) => close()));

  it('sends the DynamoDB headers and body, and reuses keep-alive connections', async () => {
    const seen: Array<{ target?: string; auth?: string; type?: string; body: string }> = [];
    const { endpoint, server, connections } = await serve(async (req, res) => {
      seen.push({ target: req.headers['x-amz-target'] as string, auth: req.headers.authorization, type: req.headers['content-type'], body: await readBody(req) });
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end('{"Item":{"k":{"S":"ü"}}}');
    });
    const client = new DynamoHttpClient(endpoint, 2, 5000);
    closers.push(() => client.close(), () => server.close());
    for (let i = 0; i < 5; i++) {
      const results = await Promise.all([client.call('GetItem', '{"TableName":"tü"}', Buffer.from('"Item"')), client.call('GetItem', '{}', 'body')]);
      expect(results[0]).toMatchObject({ ok: true, status: 200, hasMarker: true });
      expect(JSON.parse(results[1].body!)).toEqual({ Item: { k: { S: 'ü' } } });
    }
    expect(connections()).toBe(2);
    expect(seen[0]).toEqual({
      target: 'DynamoDB_20120810.GetItem',
      auth: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=bench\/\d{8}\/us-east-1\/dynamodb\/aws4_request, /),
      type: 'application/x-amz-json-1.0',
      body: '{"TableName":"tü"}',
    });
  });

  it('returns the DynamoDB error type of a 400 and goes on after the server closes the connection', async () => {
    const { endpoint, server } = await serve((req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0', Connection: 'close' });
      res.end('{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}');
    });
    const client = new DynamoHttpClient(endpoint, 1, 5000);
    closers.push(() => client.close(), () => server.close());
    for (let i = 0; i < 3; i++) {
      expect(await client.call('GetItem', '{}')).toMatchObject({ ok: false, status: 400, errorType: 'ResourceNotFoundException', message: 'Requested resource not found' });
    }
  });

  it('fails a request that is not answered in time, and one to a closed port, without throwing', async () => {
    const { endpoint, server } = await serve(() => undefined);
    const client = new DynamoHttpClient(endpoint, 1, 200);
    closers.push(() => client.close(), () => server.close());
    expect(await client.call('GetItem', '{}')).toMatchObject({ ok: false, status: 0, errorType: 'ClientTimeout' });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await client.call('GetItem', '{}')).toMatchObject({ ok: false, status: 0, errorType: 'ECONNREFUSED' });
  });

  it("signs every request so that the router's verification accepts it (its signed heads are reused, its signatures are not)", async () => {
    const key: VerificationKey = { accessKeyId: 'BENCHKEY', secret: 'bench-secret-0123456789-abcdef', name: 'bench', enabled: true, admin: false };
    const authenticator = new EnforcingAuthenticator({ find: (id) => (id === key.accessKeyId ? key : undefined) }, 'us-east-1', realEnvironment);
    const outcomes: string[] = [];
    const { endpoint, server } = await serve(async (req, res) => {
      const body = Buffer.from(await readBody(req));
      try {
        outcomes.push(`${authenticator.authenticate(signedRequestOf(req, body)).name} ${req.headers['x-amz-target']}`);
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      } catch (error) {
        outcomes.push((error as Error).name);
        res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
      }
      res.end('{}');
    });
    const client = new DynamoHttpClient(endpoint, 2, 5000, { accessKeyId: key.accessKeyId, secretAccessKey: key.secret });
    const wrong = new DynamoHttpClient(endpoint, 1, 5000, { accessKeyId: key.accessKeyId, secretAccessKey: 'another-secret-0123456789-abcdef' });
    closers.push(() => client.close(), () => wrong.close(), () => server.close());
    for (const [op, body] of [['GetItem', '{"TableName":"t","Key":{"k":{"S":"1"}}}'], ['PutItem', '{"TableName":"tü","Item":{"k":{"S":"€😀"}}}'], ['GetItem', '{}'], ['GetItem', '']]) {
      expect(await client.call(op, body)).toMatchObject({ ok: true });
    }
    expect(await wrong.call('GetItem', '{}')).toMatchObject({ ok: false, status: 400 });
    expect(outcomes).toEqual([
      'bench DynamoDB_20120810.GetItem',
      'bench DynamoDB_20120810.PutItem',
      'bench DynamoDB_20120810.GetItem',
      'bench DynamoDB_20120810.GetItem',
      'InvalidSignatureException',
    ]);
  });

  it('answers calls made after close() with ClientClosed', async () => {
    const client = new DynamoHttpClient('http://127.0.0.1:9', 1, 1000);
    client.close();
    expect(await client.call('ListTables', '{}')).toMatchObject({ ok: false, errorType: 'ClientClosed' });
  });
});
