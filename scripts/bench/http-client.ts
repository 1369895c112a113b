/**
 * Minimal DynamoDB JSON 1.0 client for the benchmark: node:http with a
 * keep-alive agent, hand-built JSON bodies, and a syntactically valid but fake
 * SigV4 Authorization header (the targets do not verify signatures, but
 * dynalite insists on the header being present and well formed).
 *
 * Deliberately no AWS SDK: the load generator shares two cores with the server
 * under test, so the client path is kept as thin as possible. Successful
 * responses are not parsed unless the caller asks for the body.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';

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

export class DynamoHttpClient {
  readonly url: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private readonly targets = new Map<string, string>();
  private cachedSecond = -1;
  private amzDate = '';
  private authorization = '';
  private closed = false;

  constructor(endpoint: string, maxSockets: number, private readonly timeoutMs: number) {
    this.url = new URL(endpoint);
    const isHttps = this.url.protocol === 'https:';
    if (!isHttps && this.url.protocol !== 'http:') throw new Error(`unsupported endpoint protocol: ${endpoint}`);
    this.mod = isHttps ? https : http;
    this.host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = this.url.port ? Number(this.url.port) : isHttps ? 443 : 80;
    this.path = this.url.pathname || '/';
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      keepAliveMsecs: 1000,
    };
    this.agent = isHttps ? new https.Agent({ ...agentOptions, rejectUnauthorized: false }) : new http.Agent(agentOptions);
  }

  /** X-Amz-Date and Authorization, recomputed at most once per second. */
  private refreshAuth(): void {
    const nowSec = Math.floor(Date.now() / 1000);
    if (nowSec === this.cachedSecond) return;
    this.cachedSecond = nowSec;
    // 2024-01-01T12:34:56.789Z -> 20240101T123456Z
    this.amzDate = new Date(nowSec * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = this.amzDate.slice(0, 8);
    this.authorization =
      `AWS4-HMAC-SHA256 Credential=bench/${day}/us-east-1/dynamodb/aws4_request, ` +
      `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${SIGNATURE}`;
  }

  private target(op: string): string {
    let t = this.targets.get(op);
    if (t === undefined) {
      t = TARGET_PREFIX + op;
      this.targets.set(op, t);
    }
    return t;
  }

  /**
   * POST one DynamoDB operation. Never rejects: transport failures come back as
   * { ok: false, status: 0, errorType: <code> }.
   *
   * want: 'discard' drains a successful response unread (cheapest); 'body'
   * returns it as text; a Buffer searches the raw bytes for that marker
   * (e.g. '"Item"' to tell a GetItem hit from a miss) without decoding.
   */
  call(op: string, body: string, want: 'discard' | 'body' | Buffer = 'discard'): Promise<CallResult> {
    return new Promise<CallResult>((resolve) => {
      if (this.closed) {
        resolve({ ok: false, status: 0, errorType: 'ClientClosed', latencyMs: 0 });
        return;
      }
      this.refreshAuth();
      const start = performance.now();
      let settled = false;
      const finish = (r: CallResult): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      const req = this.mod.request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          path: this.path,
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-amz-json-1.0',
            'X-Amz-Target': this.target(op),
            'X-Amz-Date': this.amzDate,
            Authorization: this.authorization,
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const ok = status === 200;
          if (ok && want === 'discard') {
            res.on('end', () => finish({ ok, status, latencyMs: performance.now() - start }));
            res.on('error', (err: NodeJS.ErrnoException) =>
              finish({ ok: false, status, errorType: err.code ?? err.name, message: err.message, latencyMs: performance.now() - start }),
            );
            res.resume();
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err: NodeJS.ErrnoException) =>
            finish({ ok: false, status, errorType: err.code ?? err.name, message: err.message, latencyMs: performance.now() - start }),
          );
          res.on('end', () => {
            const latencyMs = performance.now() - start;
            const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
            if (ok && want !== 'body') {
              finish({ ok, status, hasMarker: raw.indexOf(want as Buffer) !== -1, latencyMs });
              return;
            }
            const text = raw.toString('utf8');
            if (ok) {
              finish({ ok, status, body: text, latencyMs });
              return;
            }
            const { type, message } = parseError(text, status);
            finish({ ok: false, status, errorType: type, message, body: text, latencyMs });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(Object.assign(new Error(`request timed out after ${this.timeoutMs} ms`), { code: 'ClientTimeout' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        finish({ ok: false, status: 0, errorType: err.code ?? err.name, message: err.message, latencyMs: performance.now() - start });
      });
      req.end(body);
    });
  }

  /** Like call(), but parses the JSON body and throws on any error. For control-plane calls. */
  async json<T = Record<string, unknown>>(op: string, body: string): Promise<T> {
    const r = await this.call(op, body, 'body');
    if (!r.ok) throw new DynamoCallError(op, r);
    return JSON.parse(r.body ?? '{}') as T;
  }

  /** Abort in-flight requests and close idle sockets. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
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
