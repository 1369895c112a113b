import http from 'node:http';
import client from 'prom-client';
import type { ProcessIdentity } from './logger';

/**
 * A registry per process, with the node's identity as labels and Node's default metrics unless
 * `processMetrics` is false: those measure the real process (its event loop lag is a native timer
 * that samples for as long as the process lives), which a simulated node, one of many in a
 * process and with nobody scraping it, must not start again and again.
 */
export function createMetricsRegistry(identity: ProcessIdentity, options: { processMetrics?: boolean } = {}): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ node_id: identity.nodeId, zone: identity.zone, role: identity.role });
  if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: registry });
  return registry;
}

/** Answers GET /metrics from the registry; returns false when the request is not for it. */
export async function serveMetrics(registry: client.Registry, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return false;
  const body = await registry.metrics();
  res.writeHead(200, { 'Content-Type': registry.contentType });
  res.end(body);
  return true;
}

/** Answers GET /health/live (the process runs) and /health/ready (it serves); false for other paths. */
/**
 * `ready` answers true, false, or a string: not ready, and why (shown in the probe's answer).
 */
export function serveHealth(req: http.IncomingMessage, res: http.ServerResponse, ready: () => boolean | string): boolean {
  const path = req.url?.split('?')[0];
  if (req.method !== 'GET' || (path !== '/health/live' && path !== '/health/ready')) return false;
  const state = path === '/health/live' ? true : ready();
  const ok = state === true;
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
  res.end(ok ? 'ok\n' : typeof state === 'string' ? `not ready: ${state}\n` : 'not ready\n');
  return true;
}

/** A small HTTP server for processes without an HTTP API of their own (storage nodes): metrics and health. */
export function startMetricsServer(registry: client.Registry, port: number, host = '0.0.0.0', ready: () => boolean | string = () => true): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (serveHealth(req, res, ready)) return;
    serveMetrics(registry, req, res).then((served) => {
      if (!served) {
        res.writeHead(404);
        res.end();
      }
    }, () => {
      res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export { client as promClient };
