import http from 'node:http';
import https from 'node:https';
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
import { answerEdgeRefusal, guardConnections, isEdgeRefusal, readRequestBody, type HttpEdge } from './http-edge';
import { CONNECTION_SWEEP_INTERVAL_MS, JSON_CONTENT_TYPE, TARGET_PREFIX, type HttpEdgeLimits } from './http-limits';
import { parseJsonBody } from './request-body';
import { RawJson } from './raw-json';
import { newRequestId } from './request-id';

export interface HttpServerComponents {
  operations: OperationRegistry;
  context: OperationContext;
  registry: Registry;
  metrics: RouterMetrics;
  log: Logger;
  /** Connection and body limits (createHttpEdge), shared by every server of the router. */
  edge: HttpEdge;
  /** True once the router can serve requests (health/ready). */
  ready: () => boolean;
  /** Serve HTTPS with this certificate chain and key (PEM); none: plain HTTP. See tls-reloader.ts for renewals. */
  tls?: { cert: Buffer; key: Buffer };
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

/**
 * Node's own timeouts, set to the edge limits (the guard enforces them too, and the silent-connection
 * case Node does not). Every server the router creates (HTTP, HTTPS) takes its options from here.
 */
export function httpServerOptions(limits: HttpEdgeLimits): http.ServerOptions {
  return {
    // Node insists that a head cannot take longer than the whole request.
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    // Node checks headersTimeout and requestTimeout this often (its default is 30 s).
    connectionsCheckingInterval: CONNECTION_SWEEP_INTERVAL_MS,
  };
}

/** The DynamoDB JSON 1.0 endpoint: POST / with X-Amz-Target, plus /metrics and health checks; HTTPS when given `tls`. */
export function createHttpServer(c: HttpServerComponents): http.Server {
  const listener: http.RequestListener = (req, res) => {
    handle(c, req, res).catch((error: unknown) => {
      c.log.error('request handling failed', { error: String(error) });
      if (!res.headersSent) send(res, 500, errorBody(new InternalServerError('Internal server error')), newRequestId());
    });
  };
  const options = httpServerOptions(c.edge.limits);
  const server = c.tls
    ? // A client that never finishes its handshake is dropped as one that never sends its headers.
      https.createServer({ ...options, handshakeTimeout: options.headersTimeout, cert: c.tls.cert, key: c.tls.key }, listener)
    : http.createServer(options, listener);
  guardConnections(server, c.edge);
  return server;
}

async function handle(c: HttpServerComponents, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    c.edge.guard.executing(req.socket);
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
  let releaseBody = () => {};
  let principal: Principal | undefined;
  let body: unknown;
  try {
    if (req.method !== 'POST') throw new UnknownOperationException('');
    const raw = await readRequestBody(c.edge, req);
    releaseBody = raw.release;
    // Before anything reads the body: the signature covers the bytes as received.
    principal = c.authenticator.authenticate(signedRequestOf(req, raw.body));
    body = parseJsonBody(raw.body);
    const operation = c.operations.get(operationName) ?? c.adminOperations?.get(target);
    if (!operation) throw new UnknownOperationException('');
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SerializationException(body === undefined ? '' : 'Start of structure or map found where not expected.');
    }
    const caller = c.callerFor?.(principal, req) ?? c.context.caller;
    const result = await operation(body as Record<string, unknown>, { ...c.context, principal, caller });
    send(res, 200, result, requestId);
  } catch (error) {
    if (isEdgeRefusal(error)) {
      outcome = answerEdgeRefusal(c.edge, error, req, res, requestId);
      return;
    }
    const apiError = error instanceof DynamoDbError ? error : undefined;
    if (!apiError) c.log.error('operation failed', { operation: operationName, requestId, error: error instanceof Error ? error.stack : String(error) });
    const response = apiError ?? new InternalServerError('Internal server error');
    outcome = response.name;
    send(res, response.statusCode, errorBody(response), requestId);
  } finally {
    releaseBody();
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
