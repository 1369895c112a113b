import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import winston from 'winston';
import { createMetricsRegistry } from '@triad/observability';
import { realEnvironment } from '@triad/runtime';
import { SerializationException } from '@triad/model';
import { ConnectionGuard, type GuardedConnection } from '../src/http/connection-guard';
import { createHttpEdge } from '../src/http/http-edge';
import { createHttpServer } from '../src/http/http-server';
import { OpenAuthenticator } from '../src/auth/authenticator';
import { HTTP_EDGE_LIMITS_DEFAULT, REQUEST_BODY_BYTES_MAX, connectionsMaxForFdLimit, openFilesSoftLimit, type HttpEdgeLimits } from '../src/http/http-limits';
import { parseJsonBody } from '../src/http/request-body';
import { createRouterMetrics } from '../src/router-metrics';
import type { OperationContext } from '../src/operations/operation-context';

class FakeConnection implements GuardedConnection {
  destroyed = false;
  constructor(readonly name: string) {}
  destroy(): void {
    this.destroyed = true;
  }
}

describe('ConnectionGuard', () => {
  const limits = { connectionsMax: 3, headersTimeoutMs: 100, idleTimeoutMs: 1000, requestTimeoutMs: 500 };
  let now = 0;
  const closed: string[] = [];
  const guard = () => new ConnectionGuard<FakeConnection>(limits, () => now, (reason, state) => closed.push(`${reason}:${state}`));
  beforeEach(() => {
    now = 0;
    closed.length = 0;
  });

  test('a connection that sends nothing is closed after the headers timeout; one that is executing is not', () => {
    const g = guard();
    const silent = new FakeConnection('silent');
    const busy = new FakeConnection('busy');
    g.admit(silent);
    g.admit(busy);
    g.receiving(busy);
    g.executing(busy);
    now = 100;
    g.sweep();
    expect(silent.destroyed).toBe(true);
    expect(busy.destroyed).toBe(false);
    expect(closed).toEqual(['headers_timeout:fresh']);
    expect(g.counts()).toEqual({ fresh: 0, idle: 0, receiving: 0, executing: 1 });
  });

  test('idle and receiving connections have their own timeouts, counted from when they entered the state', () => {
    const g = guard();
    const idle = new FakeConnection('idle');
    const slow = new FakeConnection('slow');
    g.admit(idle);
    g.admit(slow);
    now = 50;
    g.idle(idle);
    g.receiving(slow);
    now = 549;
    g.sweep();
    expect([idle.destroyed, slow.destroyed]).toEqual([false, false]);
    now = 550;
    g.sweep();
    expect([idle.destroyed, slow.destroyed]).toEqual([false, true]);
    now = 1050;
    g.sweep();
    expect(idle.destroyed).toBe(true);
    expect(closed).toEqual(['request_timeout:receiving', 'idle_timeout:idle']);
    expect(g.size).toBe(0);
  });

  test('at the cap a new connection evicts the oldest fresh one, then idle, then receiving; refused only when all execute', () => {
    const g = guard();
    const [a, b, c, d, e, f, h] = ['a', 'b', 'c', 'd', 'e', 'f', 'h'].map((n) => new FakeConnection(n));
    g.admit(a);
    g.admit(b);
    g.admit(c);
    g.idle(a);
    g.receiving(b);
    // c is the only fresh one: it goes first, although a and b are older.
    expect(g.admit(d)).toBe(true);
    expect([a, b, c].map((x) => x.destroyed)).toEqual([false, false, true]);
    g.executing(d);
    expect(g.admit(e)).toBe(true);
    expect(a.destroyed).toBe(true);
    g.executing(e);
    expect(g.admit(f)).toBe(true);
    expect(b.destroyed).toBe(true);
    g.executing(f);
    expect(g.admit(h)).toBe(false);
    expect(h.destroyed).toBe(true);
    expect(closed).toEqual(['evicted:fresh', 'evicted:idle', 'evicted:receiving', 'refused:fresh']);
    expect(g.counts()).toEqual({ fresh: 0, idle: 0, receiving: 0, executing: 3 });
  });

  test('a connection closed by its client is forgotten; a closed one cannot come back through a state change', () => {
    const g = guard();
    const a = new FakeConnection('a');
    g.admit(a);
    g.forget(a);
    g.receiving(a);
    expect(g.size).toBe(0);
  });
});

describe('parseJsonBody', () => {
  test('bytes that are not UTF-8 are a SerializationException without a message, not U+FFFD', () => {
    const body = Buffer.concat([Buffer.from('{"Key":{"id":{"S":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}}')]);
    expect(() => parseJsonBody(body)).toThrow(SerializationException);
    const overlong = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    expect(() => parseJsonBody(overlong)).toThrow(SerializationException);
    try {
      parseJsonBody(body);
    } catch (error) {
      expect((error as Error).message).toBe('');
    }
  });

  test('an escaped lone surrogate in a value or a member name is refused; a surrogate pair is fine', () => {
    expect(() => parseJsonBody(Buffer.from('{"a":{"S":"x\\ud800"}}'))).toThrow(SerializationException);
    expect(() => parseJsonBody(Buffer.from('{"a\\udc00":{"S":"x"}}'))).toThrow(SerializationException);
    expect(() => parseJsonBody(Buffer.from('{"a":["\\uDBFF"]}'))).toThrow(SerializationException);
    expect(parseJsonBody(Buffer.from('{"a":{"S":"\\ud83d\\ude00"}}'))).toEqual({ a: { S: '😀' } });
    // An escaped backslash followed by "ud800" is text, not an escape.
    expect(parseJsonBody(Buffer.from('{"a":"\\\\ud800"}'))).toEqual({ a: '\\ud800' });
    expect(parseJsonBody(Buffer.from('{"é":"ü"}'))).toEqual({ é: 'ü' });
  });

  test('a member named __proto__ stays an own member', () => {
    const body = parseJsonBody(Buffer.from('{"__proto__":{"S":"x"}}')) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['__proto__']);
  });
});

describe('open-files limit', () => {
  const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
`;
  test('the connection cap leaves descriptors for everything else', () => {
    expect(openFilesSoftLimit(limits)).toBe(20000);
    expect(openFilesSoftLimit('Max open files            unlimited            unlimited            files')).toBeUndefined();
    expect(connectionsMaxForFdLimit(10_000, 20_000)).toBe(10_000);
    expect(connectionsMaxForFdLimit(10_000, 4096)).toBe(4096 - 1024);
    expect(connectionsMaxForFdLimit(10_000, undefined)).toBe(10_000);
    expect(connectionsMaxForFdLimit(10_000, 1024)).toBe(512);
  });
});

describe('the HTTP server at its edge', () => {
  const limits: HttpEdgeLimits = { ...HTTP_EDGE_LIMITS_DEFAULT, connectionsMax: 20, headersTimeoutMs: 300, bodyBytesInFlightMax: 24 * 1024 * 1024 };
  let server: http.Server;
  let port: number;
  let metrics: ReturnType<typeof createRouterMetrics>;
  let registry: ReturnType<typeof createMetricsRegistry>;
  const errors: unknown[] = [];
  let release: () => void = () => undefined;

  beforeAll(async () => {
    registry = createMetricsRegistry({ nodeId: 'router-test', zone: 'a', role: 'router' });
    metrics = createRouterMetrics(registry);
    const log = winston.createLogger({ level: 'debug', transports: [new winston.transports.Console({ silent: true })] });
    log.on('data', (entry: { level: string }) => {
      if (entry.level === 'error') errors.push(entry);
    });
    const operations = new Map([
      ['ListTables', async () => ({ TableNames: [] })],
      // Holds its request until the test lets it go: an executing connection.
      ['DescribeLimits', () => new Promise((resolve) => (release = () => resolve({})))],
    ]);
    const context = { env: realEnvironment } as unknown as OperationContext;
    server = createHttpServer({ operations, context, registry, metrics, log: log as never, edge: createHttpEdge(limits, realEnvironment, metrics, log as never), ready: () => true, authenticator: new OpenAuthenticator() });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const headers = (operation: string, extra: Record<string, string | number> = {}) => ({
    'Content-Type': 'application/x-amz-json-1.0',
    'X-Amz-Target': `DynamoDB_20120810.${operation}`,
    Authorization: 'AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc',
    ...extra,
  });

  function post(operation: string, body: Buffer | ((req: http.ClientRequest) => void), extra: Record<string, string | number> = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: headers(operation, extra), agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      if (typeof body === 'function') body(req);
      else req.end(body);
    });
  }

  async function requestCount(outcome: string): Promise<number> {
    const metric = await registry.getSingleMetric('triad_router_requests_total')!.get();
    return metric.values.filter((v) => v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
  }

  test('a Content-Length above 16 MB gets 413 before the body is read', async () => {
    const response = await post('ListTables', (req) => {
      // Only the head: the answer must come without the body.
      req.flushHeaders();
    }, { 'Content-Length': REQUEST_BODY_BYTES_MAX + 1 });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({ __type: expect.stringMatching(/#SerializationException$/) });
  });

  test('a chunked body is cut off at 16 MB with 413, and the client reads the answer', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const response = await post('ListTables', (req) => {
      let sent = 0;
      const write = () => {
        while (sent < 17) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      req.on('error', () => undefined);
      write();
    });
    expect(response.status).toBe(413);
  });

  test('a client that aborts its body is counted as ClientAborted, not logged as an error', async () => {
    const before = await requestCount('ClientAborted');
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{"a":');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    for (let i = 0; i < 50 && (await requestCount('ClientAborted')) === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await requestCount('ClientAborted')).toBe(before + 1);
    expect(errors).toEqual([]);
  });

  test('bodies past the in-memory budget get a retriable ServiceUnavailable', async () => {
    const slow: http.ClientRequest[] = [];
    // Three 10 MB bodies that stall at 7.5 MB hold 22.5 MB of the 24 MB budget: a 2 MB body does not fit.
    const stalled = [0, 1, 2].map(() =>
      new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: headers('ListTables', { 'Content-Length': 10 * 1024 * 1024 }), agent: false });
        req.on('error', () => undefined);
        req.write(Buffer.alloc(7680 * 1024, 0x20), () => resolve());
        slow.push(req);
      }),
    );
    await Promise.all(stalled);
    // The client's write callback fires when the kernel has the bytes; wait until the server holds them.
    for (let i = 0; i < 500 && metrics.edge.bodyBytesInFlight() < 3 * 7680 * 1024; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(metrics.edge.bodyBytesInFlight()).toBe(3 * 7680 * 1024);
    const response = await post('ListTables', Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(response.status).toBe(503);
    expect(JSON.parse(response.text)).toMatchObject({ __type: expect.stringMatching(/#ServiceUnavailable$/) });
    for (const req of slow) req.destroy();
  });

  test('silent connections are closed after the headers timeout, and at the cap a normal client is still served', async () => {
    const silent: net.Socket[] = [];
    const closedAt: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 40; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => closedAt.push(Date.now() - start));
      silent.push(socket);
    }
    await Promise.all(silent.map((s) => once(s, 'connect')));
    // 40 silent connections against a cap of 20: the oldest were evicted to make room.
    const ok = await post('ListTables', Buffer.from('{}'));
    expect(ok.status).toBe(200);
    // An executing request is never evicted: hold one while more silent connections arrive.
    const idle = release;
    const held = post('DescribeLimits', Buffer.from('{}'));
    // Executing once its handler has handed the test a new release.
    for (let i = 0; i < 500 && release === idle; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(release).not.toBe(idle);
    for (let i = 0; i < 30; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => closedAt.push(Date.now() - start));
      silent.push(socket);
    }
    release();
    expect((await held).status).toBe(200);
    // Every silent connection is closed by the server within the headers timeout plus a sweep.
    for (let i = 0; i < 100 && closedAt.length < silent.length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedAt.length).toBe(silent.length);
    // (the last ones by the headers timeout: 300 ms, enforced by a sweep every second)
    expect(Math.max(...closedAt)).toBeLessThan(300 + 1000 + 2000);
    const metric = await registry.getSingleMetric('triad_router_connections_closed_total')!.get();
    const byReason = Object.fromEntries(metric.values.map((v) => [`${v.labels.reason}:${v.labels.state}`, v.value]));
    expect(byReason['evicted:fresh']).toBeGreaterThanOrEqual(20);
    expect(byReason['headers_timeout:fresh']).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
