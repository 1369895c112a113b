import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { SerializationException, ServiceUnavailableException, type DynamoDbError } from '@triad/model';
import type { Logger } from '@triad/observability';
import type { Environment } from '@triad/runtime';
import type { RouterMetrics } from '../router-metrics';
import { ConnectionGuard } from './connection-guard';
import { errorBody } from './error-response';
import {
  CONNECTION_SWEEP_INTERVAL_MS,
  JSON_CONTENT_TYPE,
  REFUSED_BODY_DRAIN_BYTES_MAX,
  REFUSED_BODY_DRAIN_MS_MAX,
  REQUEST_BODY_BYTES_MAX,
  type HttpEdgeLimits,
} from './http-limits';
import { BodyRefused, ClientAborted, bodyBudget, declaredTooLarge, readBody, type BodyBudget } from './request-body';

/**
 * The router's HTTP edge, shared by every server it runs (HTTP and HTTPS): the connection guard,
 * the body budget, and the answers for bodies refused or abandoned. http-server.ts calls
 * guardConnections once per server and readRequestBody once per request.
 */
export interface HttpEdge {
  limits: HttpEdgeLimits;
  guard: ConnectionGuard<net.Socket>;
  budget: BodyBudget;
  metrics: RouterMetrics;
  log: Logger;
  env: Environment;
}

export function createHttpEdge(limits: HttpEdgeLimits, env: Environment, metrics: RouterMetrics, log: Logger): HttpEdge {
  const guard = new ConnectionGuard<net.Socket>(limits, env.monotonicMs, (reason, state) => metrics.connectionsClosed.inc({ reason, state }));
  const budget = bodyBudget(limits.bodyBytesInFlightMax);
  metrics.edge.connections = () => guard.counts();
  metrics.edge.bodyBytesInFlight = () => budget.inUse;
  return { limits, guard, budget, metrics, log, env };
}

/**
 * Puts a server's connections under the guard: admitted (or refused) as they arrive, swept for
 * timeouts, forgotten when they close. For HTTPS, pass the server whose 'connection' sockets are
 * the ones requests arrive on (or map TLS sockets to them).
 */
export function guardConnections(server: http.Server, edge: HttpEdge): void {
  const { env } = edge;
  // Requests name the TLS socket on HTTPS, so that is the one the guard must know.
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    if (!edge.guard.admit(socket)) return;
    socket.once('close', () => edge.guard.forget(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.once('finish', () => {
      if (!req.socket.destroyed) edge.guard.idle(req.socket);
    });
  });
  const sweep = env.setInterval(() => edge.guard.sweep(), CONNECTION_SWEEP_INTERVAL_MS);
  server.once('close', () => env.clearInterval(sweep));
}

/**
 * The request's body, read under the limits: a Content-Length above DynamoDB's 16 MB is refused
 * before a byte is read, a chunked body is cut off at 16 MB, and a body that would pass the
 * router's budget of buffered bytes is refused (retriable). Throws BodyRefused or ClientAborted,
 * which answerEdgeRefusal answers.
 */
export async function readRequestBody(edge: HttpEdge, req: http.IncomingMessage): Promise<{ body: Buffer; release: () => void }> {
  edge.guard.receiving(req.socket);
  if (declaredTooLarge(req, REQUEST_BODY_BYTES_MAX)) throw new BodyRefused('too_large_declared');
  const read = await readBody(req, REQUEST_BODY_BYTES_MAX, edge.budget);
  edge.guard.executing(req.socket);
  return read;
}

export function isEdgeRefusal(error: unknown): error is BodyRefused | ClientAborted {
  return error instanceof BodyRefused || error instanceof ClientAborted;
}

/**
 * Answers a refused or abandoned body; returns the metrics outcome. A refused body gets its answer
 * with `Connection: close`, and what is left of it is read and dropped (bounded), so that the
 * client sees the answer rather than a reset. An aborted one gets nothing: nobody is listening.
 */
export function answerEdgeRefusal(edge: HttpEdge, error: BodyRefused | ClientAborted, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): string {
  if (error instanceof ClientAborted) {
    edge.log.debug('client aborted its request', { requestId, error: error.message });
    res.destroy();
    return 'ClientAborted';
  }
  const tooLarge = error.reason !== 'over_budget';
  const response: DynamoDbError = tooLarge
    ? new SerializationException(`Request body exceeds the maximum size of ${REQUEST_BODY_BYTES_MAX} bytes`)
    : new ServiceUnavailableException('The router is short of memory for request bodies; try again');
  const payload = Buffer.from(JSON.stringify(errorBody(response)));
  res.writeHead(tooLarge ? 413 : response.statusCode, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': payload.length,
    'x-amzn-RequestId': requestId,
    Connection: 'close',
  });
  res.end(payload);
  drainThenClose(edge.env, req);
  edge.log.info('request body refused', { requestId, reason: error.reason });
  return tooLarge ? 'RequestEntityTooLarge' : response.name;
}

function drainThenClose(env: Environment, req: http.IncomingMessage): void {
  if (req.complete) return;
  let drained = 0;
  const timer = env.setTimeout(() => req.socket.destroy(), REFUSED_BODY_DRAIN_MS_MAX);
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > REFUSED_BODY_DRAIN_BYTES_MAX) req.socket.destroy();
  });
  req.once('close', () => env.clearTimeout(timer));
  req.resume();
}
