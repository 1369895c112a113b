import http from 'node:http';
import { TEST_CREDENTIALS, signRawRequest } from '@triad/harness';

/**
 * A SigV4-looking Authorization header: a router in open mode checks that one is present, not the
 * signature. Against a cluster that enforces authentication (TRIAD_TEST_AUTH=enforce), requests
 * are signed for real with TEST_CREDENTIALS instead.
 */
export const FAKE_SIGV4_AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc';

export interface RawRequest {
  /** The operation name: X-Amz-Target becomes DynamoDB_20120810.<operation>. */
  operation?: string;
  /** A whole X-Amz-Target value (wins over `operation`). */
  target?: string;
  /** Sent as is when a string or Buffer, else as JSON. */
  body?: unknown;
  /** Send an Authorization header (default true): the fake one, or a real signature when the test suite enforces auth. */
  authorization?: boolean;
  headers?: Record<string, string>;
  method?: string;
  /** Path and query (default '/'): a presigned request carries its signature in the query. */
  path?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

/** One HTTP request to a router with node:http, bypassing every SDK-side check. */
export function rawRequest(endpoint: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body =
    request.body === undefined ? Buffer.alloc(0)
    : Buffer.isBuffer(request.body) ? request.body
    : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': body.length,
    ...(request.target !== undefined || request.operation !== undefined
      ? { 'X-Amz-Target': request.target ?? `DynamoDB_20120810.${request.operation}` }
      : {}),
    ...request.headers,
  };
  if (request.authorization !== false && !Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
    Object.assign(headers, process.env.TRIAD_TEST_AUTH === 'enforce' && (request.path ?? '/') === '/' ? signRawRequest(endpoint, headers, body, TEST_CREDENTIALS) : { Authorization: FAKE_SIGV4_AUTHORIZATION });
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: request.path ?? '/', method: request.method ?? 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no response from ${endpoint} within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The error name of a DynamoDB error body: the part of `__type` after '#'. */
export function errorName(response: RawResponse): string | undefined {
  const type = response.json?.__type;
  return typeof type === 'string' ? type.slice(type.indexOf('#') + 1) : undefined;
}
