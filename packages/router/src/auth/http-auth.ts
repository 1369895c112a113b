import type http from 'node:http';
import type { AuditEvent } from './audit-event';
import { tablesOf } from './audit-event';
import type { Principal } from './principal';
import { queryParameters, type SignedRequest } from './signed-request';

/** What verification reads of a Node request: method, target, every header value, the body bytes received. */
export function signedRequestOf(req: http.IncomingMessage, body: Buffer): SignedRequest {
  return { method: req.method ?? '', url: req.url ?? '/', headers: req.headersDistinct, rawHeaders: req.rawHeaders, body };
}

/**
 * The X-Amz-Target a request names: its header, or for a presigned request the query parameter the
 * SDKs hoist it into (and sign there; an unsigned x-amz-* header is refused by verification).
 */
export function targetOf(req: http.IncomingMessage): string {
  const header = req.headers['x-amz-target'];
  if (typeof header === 'string') return header;
  const url = req.url ?? '';
  if (!/x-amz-target=/i.test(url)) return '';
  return queryParameters(url).find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1] ?? '';
}

/** The access key id a request names, unverified (for the audit line of a refused request). */
export function claimedAccessKeyId(req: http.IncomingMessage): string {
  const header = req.headers.authorization;
  if (header) return /Credential=([^/,\s]{0,128})/.exec(header)?.[1] ?? '';
  if (!(req.url ?? '').includes('X-Amz-Credential')) return '';
  const credential = queryParameters(req.url ?? '').find(([name]) => name === 'X-Amz-Credential')?.[1] ?? '';
  return credential.split('/')[0].slice(0, 128);
}

/** The audit line of one request (see audit-event.ts: no item values). */
export function auditEventOf(details: {
  req: http.IncomingMessage;
  startedAtMs: number;
  durationMs: number;
  operation: string;
  body: unknown;
  principal: Principal | undefined;
  errorCode: string | undefined;
  requestId: string;
  region: string;
  routerId: string;
}): AuditEvent {
  const { req, principal } = details;
  return {
    eventVersion: '1.0',
    eventTime: new Date(details.startedAtMs).toISOString(),
    eventSource: 'dynamodb',
    eventName: details.operation,
    awsRegion: details.region,
    sourceIPAddress: req.socket.remoteAddress ?? '',
    userAgent: String(req.headers['user-agent'] ?? '').slice(0, 256),
    userIdentity: principal
      ? { accessKeyId: principal.accessKeyId, name: principal.name, admin: principal.admin, authenticated: principal.authenticated }
      : { accessKeyId: claimedAccessKeyId(req), name: '', admin: false, authenticated: false },
    tables: tablesOf(details.body),
    outcome: details.errorCode === undefined ? 'success' : 'failure',
    ...(details.errorCode === undefined ? {} : { errorCode: details.errorCode }),
    requestID: details.requestId,
    routerId: details.routerId,
    durationMs: Math.round(details.durationMs * 1000) / 1000,
  };
}
