import http from 'node:http';
import {
  DynamoDbError,
  InternalServerError,
  SerializationException,
  UnknownOperationException,
} from '@triad/model';
import type { Logger } from '@triad/observability';
import type { Registry } from 'prom-client';
import { serveHealth, serveMetrics } from '@triad/observability';
import type { AuditLog } from '../auth/audit-log';
import type { Authenticator } from '../auth/authenticator';
import { auditEventOf, signedRequestOf, targetOf } from '../auth/http-auth';
import type { Principal } from '../auth/principal';
import type { Caller } from '../authorization';
import type { Operation, OperationRegistry } from '../operations/operation';
import type { OperationContext } from '../operations/operation-context';
import type { RouterMetrics } from '../router-metrics';
import { errorBody } from './error-response';
import { JSON_CONTENT_TYPE, REQUEST_BODY_BYTES_MAX, TARGET_PREFIX } from './http-limits';
import { RawJson } from './raw-json';
import { newRequestId } from './request-id';

export interface HttpServerComponents {
  operations: OperationRegistry;
  context: OperationContext;
  registry: Registry;
  metrics: RouterMetrics;
  log: Logger;
  /** True once the router can serve requests (health/ready). */
  ready: () => boolean;
  /** Checks every request's credentials and says who sent it (auth/: SigV4 in enforce mode). */
  authenticator: Authenticator;
  /** Triad's admin API (access keys), by whole X-Amz-Target (auth/admin-operations.ts). */
  adminOperations?: Map<string, Operation>;
  /** One JSON line per request (auth/audit-log.ts), when configured. */
  audit?: AuditLog;
  /** This router's id, in audit lines. */
  routerId?: string;
  /**
   * The Caller (authorization/) that decides what the request's principal may do: absent, every
   * request gets the context's caller (UNRESTRICTED_CALLER until keys carry policies).
   */
  callerFor?: (principal: Principal, req: http.IncomingMessage) => Caller;
}

function send(res: http.ServerResponse, status: number, body: unknown, requestId: string): void {
  const payload = body instanceof RawJson ? body.body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': payload.length,
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}

/** Reads the body up to the limit; undefined when it is larger. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > REQUEST_BODY_BYTES_MAX) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The DynamoDB JSON 1.0 endpoint: POST / with X-Amz-Target, plus /metrics and health checks. */
export function createHttpServer(c: HttpServerComponents): http.Server {
  return http.createServer((req, res) => {
    handle(c, req, res).catch((error: unknown) => {
      c.log.error('request handling failed', { error: String(error) });
      if (!res.headersSent) send(res, 500, errorBody(new InternalServerError('Internal server error')), newRequestId());
    });
  });
}

async function handle(c: HttpServerComponents, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    if (await serveMetrics(c.registry, req, res)) return;
    if (serveHealth(req, res, c.ready)) return;
    // DynamoDB answers a plain GET with a health line; load balancers rely on it.
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('healthy: triad\n');
    return;
  }
  const requestId = newRequestId();
  const started = c.context.env.monotonicMs();
  const startedAtMs = c.context.env.nowMs();
  const target = targetOf(req);
  const operationName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  let outcome = 'ok';
  let principal: Principal | undefined;
  let body: unknown;
  try {
    if (req.method !== 'POST') throw new UnknownOperationException('');
    const raw = await readBody(req);
    if (raw === undefined) throw new SerializationException('Request body exceeds the maximum size');
    // Before anything reads the body: the signature covers the bytes as received.
    principal = c.authenticator.authenticate(signedRequestOf(req, raw));
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      throw new SerializationException('');
    }
    const operation = c.operations.get(operationName) ?? c.adminOperations?.get(target);
    if (!operation) throw new UnknownOperationException('');
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SerializationException(body === undefined ? '' : 'Start of structure or map found where not expected.');
    }
    const caller = c.callerFor?.(principal, req) ?? c.context.caller;
    const result = await operation(body as Record<string, unknown>, { ...c.context, principal, caller });
    send(res, 200, result, requestId);
  } catch (error) {
    const apiError = error instanceof DynamoDbError ? error : undefined;
    if (!apiError) c.log.error('operation failed', { operation: operationName, requestId, error: error instanceof Error ? error.stack : String(error) });
    const response = apiError ?? new InternalServerError('Internal server error');
    outcome = response.name;
    send(res, response.statusCode, errorBody(response), requestId);
  } finally {
    const seconds = (c.context.env.monotonicMs() - started) / 1000;
    const op = c.operations.has(operationName) ? operationName : c.adminOperations?.has(target) ? target : 'unknown';
    c.metrics.requests.inc({ operation: op, outcome });
    c.metrics.latency.observe({ operation: op }, seconds);
    c.audit?.record(
      auditEventOf({
        req,
        startedAtMs,
        durationMs: seconds * 1000,
        operation: op === 'unknown' ? target.slice(0, 128) : op,
        body,
        principal,
        errorCode: outcome === 'ok' ? undefined : outcome,
        requestId,
        region: c.context.region,
        routerId: c.routerId ?? '',
      }),
    );
  }
}
