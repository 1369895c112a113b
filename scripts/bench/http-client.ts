/**
 * Minimal DynamoDB JSON 1.0 client for the benchmark: a pool of keep-alive HTTP/1.1 connections
 * (http-connection.ts), hand-built JSON bodies, and a syntactically valid but fake SigV4
 * Authorization header (open-mode targets do not verify signatures, but dynalite insists on the
 * header being present and well formed) — or, given credentials, every request really signed (a
 * target that enforces authentication).
 *
 * Deliberately no AWS SDK and no node:http: the load generator shares two cores with the server
 * under test, so the client path is kept as thin as possible. Successful responses are not
 * decoded unless the caller asks for the body.
 */
import { performance } from 'node:perf_hooks';
import { DynamoDbSigner, type SigningCredentials } from '@triad/cli';
import { ConnectionError, HttpConnection, type Endpoint } from './http-connection';

export interface CallResult {
  /** HTTP 200. */
  ok: boolean;
  status: number;
  /** Short DynamoDB error type (text after '#'), HTTP_<status>, or a client-side error code. */
  errorType?: string;
  message?: string;
  /** Response body; present when requested, and always for errors. */
  body?: string;
  /** For call(..., marker): whether the successful response body contains the marker bytes. */
  hasMarker?: boolean;
  latencyMs: number;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const SIGNATURE = '0'.repeat(64);
/** Idle connections older than this are dropped rather than reused: servers close idle keep-alive connections (node's default after 5 s). */
const IDLE_REUSE_MS_MAX = 4000;

export class DynamoHttpClient {
  readonly url: URL;
  private readonly endpoint: Endpoint;
  private readonly hostHeader: string;
  private readonly path: string;
  private readonly idle: HttpConnection[] = [];
  private readonly waiting: Array<(connection: HttpConnection | undefined) => void> = [];
  private readonly connections = new Set<HttpConnection>();
  private readonly heads = new Map<string, string>();
  private cachedSecond = -1;
  /** Given credentials: signs each request (a target that enforces authentication). */
  private readonly signer?: DynamoDbSigner;
  /** Signed requests' heads up to the signature, by operation, for the X-Amz-Date `signedAmzDate`. */
  private readonly signedHeads = new Map<string, string>();
  private signedAmzDate = '';
  private closed = false;

  constructor(
    endpoint: string,
    private readonly maxSockets: number,
    private readonly timeoutMs: number,
    /** Sign every request with these (SigV4 over its body); none: the fake header. */
    credentials?: SigningCredentials,
  ) {
    this.url = new URL(endpoint);
    const isHttps = this.url.protocol === 'https:';
    if (!isHttps && this.url.protocol !== 'http:') throw new Error(`unsupported endpoint protocol: ${endpoint}`);
    this.endpoint = {
      host: this.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.url.port ? Number(this.url.port) : isHttps ? 443 : 80,
      tls: isHttps,
    };
    this.hostHeader = this.url.host;
    this.path = this.url.pathname || '/';
    if (credentials) {
      // The signer signs POST / (DynamoDB's one path), as the SDKs send it.
      if (this.path !== '/') throw new Error(`a signed endpoint must be at '/': ${endpoint}`);
      this.signer = new DynamoDbSigner(credentials, 'us-east-1', this.hostHeader);
    }
  }

  /** The request head of an operation up to Content-Length; X-Amz-Date and Authorization change once per second. */
  private head(op: string): string {
    const nowSec = Math.floor(Date.now() / 1000);
    if (nowSec !== this.cachedSecond) {
      this.cachedSecond = nowSec;
      this.heads.clear();
    }
    let head = this.heads.get(op);
    if (head === undefined) {
      // 2024-01-01T12:34:56.789Z -> 20240101T123456Z
      const amzDate = new Date(nowSec * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
      const authorization =
        `AWS4-HMAC-SHA256 Credential=bench/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, ` +
        `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${SIGNATURE}`;
      head =
        `POST ${this.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/x-amz-json-1.0\r\n` +
        `X-Amz-Target: ${TARGET_PREFIX}${op}\r\nX-Amz-Date: ${amzDate}\r\nAuthorization: ${authorization}\r\nContent-Length: `;
      this.heads.set(op, head);
    }
    return head;
  }

  /**
   * A request signed over its body, as an SDK sends it (the signature covers the body, so only the
   * head up to the signature is reused: it changes once a second per operation).
   */
  private signedRequest(op: string, body: string, signer: DynamoDbSigner): string {
    const amzDate = signer.amzDate(Date.now());
    if (amzDate !== this.signedAmzDate) {
      this.signedAmzDate = amzDate;
      this.signedHeads.clear();
    }
    const target = `${TARGET_PREFIX}${op}`;
    let head = this.signedHeads.get(op);
    if (head === undefined) {
      head =
        `POST / HTTP/1.1\r\ncontent-type: application/x-amz-json-1.0\r\nhost: ${this.hostHeader}\r\nx-amz-date: ${amzDate}\r\n` +
        `x-amz-target: ${target}\r\nauthorization: ${signer.authorizationPrefix()}`;
      this.signedHeads.set(op, head);
    }
    return `${head}${signer.signature(target, body)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  private acquire(): Promise<HttpConnection | undefined> {
    const now = Date.now();
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (connection.open && now - connection.idleSince < IDLE_REUSE_MS_MAX) return Promise.resolve(connection);
      this.drop(connection);
    }
    if (this.connections.size < this.maxSockets) {
      const connection = new HttpConnection(this.endpoint);
      this.connections.add(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: HttpConnection): void {
    if (!connection.open || this.closed) {
      this.drop(connection);
      const next = this.waiting.shift();
      if (next) void this.acquire().then(next);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }

  private drop(connection: HttpConnection): void {
    connection.close();
    this.connections.delete(connection);
  }

  /**
   * POST one DynamoDB operation. Never rejects: transport failures come back as
   * { ok: false, status: 0, errorType: <code> }.
   *
   * want: 'discard' ignores a successful response's body (cheapest); 'body' returns it as text; a
   * Buffer searches the raw bytes for that marker (e.g. '"Item"' to tell a GetItem hit from a
   * miss) without decoding.
   */
  async call(op: string, body: string, want: 'discard' | 'body' | Buffer = 'discard'): Promise<CallResult> {
    const start = performance.now();
    const connection = this.closed ? undefined : await this.acquire();
    if (!connection) return { ok: false, status: 0, errorType: 'ClientClosed', latencyMs: 0 };
    let response;
    try {
      response = await connection.request(this.signer ? this.signedRequest(op, body, this.signer) : `${this.head(op)}${Buffer.byteLength(body)}\r\n\r\n${body}`, this.timeoutMs);
    } catch (error) {
      const e = error as ConnectionError;
      return { ok: false, status: 0, errorType: e.code, message: e.message, latencyMs: performance.now() - start };
    } finally {
      this.release(connection);
    }
    const latencyMs = performance.now() - start;
    const { status } = response;
    const ok = status === 200;
    if (ok && want === 'discard') return { ok, status, latencyMs };
    if (ok && want !== 'body') return { ok, status, hasMarker: response.body.indexOf(want) !== -1, latencyMs };
    const text = response.body.toString('utf8');
    if (ok) return { ok, status, body: text, latencyMs };
    const { type, message } = parseError(text, status);
    return { ok: false, status, errorType: type, message, body: text, latencyMs };
  }

  /** Like call(), but parses the JSON body and throws on any error. For control-plane calls. */
  async json<T = Record<string, unknown>>(op: string, body: string): Promise<T> {
    const r = await this.call(op, body, 'body');
    if (!r.ok) throw new DynamoCallError(op, r);
    return JSON.parse(r.body ?? '{}') as T;
  }

  /** Abort in-flight requests and close every connection. */
  close(): void {
    this.closed = true;
    for (const connection of this.connections) connection.close();
    this.connections.clear();
    this.idle.length = 0;
    for (const next of this.waiting.splice(0)) next(undefined);
  }
}

export class DynamoCallError extends Error {
  constructor(readonly op: string, readonly result: CallResult) {
    super(`${op} failed: ${result.errorType ?? 'error'} (HTTP ${result.status})${result.message ? `: ${result.message}` : ''}`);
  }
  get type(): string | undefined {
    return this.result.errorType;
  }
}

function parseError(text: string, status: number): { type: string; message?: string } {
  try {
    const j = JSON.parse(text) as { __type?: unknown; message?: unknown; Message?: unknown };
    const raw = typeof j.__type === 'string' ? j.__type : '';
    const type = raw ? raw.slice(raw.lastIndexOf('#') + 1) : `HTTP_${status}`;
    const m = j.message ?? j.Message;
    return { type, message: typeof m === 'string' ? m : undefined };
  } catch {
    return { type: `HTTP_${status}`, message: text.slice(0, 200) };
  }
}
