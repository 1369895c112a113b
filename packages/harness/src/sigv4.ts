import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** Access key credentials, as the SDKs take them. */
export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type Bytes = string | ArrayBuffer | ArrayBufferView;
const toBuffer = (data: Bytes): string | Buffer =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** The SDK's hash interface over node:crypto (HMAC when given a secret), for the SDK's own signer (@smithy/signature-v4). */
export class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Buffer;
  constructor(secret?: Bytes) {
    this.secret = secret === undefined ? undefined : toBuffer(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Bytes): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** A JSON 1.0 request to a router, signed by the AWS SDK's own SigV4 signer (as a header, or presigned in the query). */
export interface SignedTestRequest {
  /** Path and query to send. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** `operation` is a DynamoDB operation name, or a whole X-Amz-Target when it has a '.' (Triad's admin API). */
export async function sdkSignedRequest(
  endpoint: string,
  credentials: TestCredentials,
  operation: string,
  body: unknown,
  options: { presign?: boolean; expiresInSeconds?: number; signingDate?: Date; region?: string } = {},
): Promise<SignedTestRequest> {
  const url = new URL(endpoint);
  const text = JSON.stringify(body);
  const signer = new SignatureV4({ credentials, region: options.region ?? 'us-east-1', service: 'dynamodb', sha256: NodeSha256 });
  const request = {
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {} as Record<string, string>,
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': operation.includes('.') ? operation : `DynamoDB_20120810.${operation}` } as Record<string, string>,
    body: text,
  };
  const signed = options.presign
    ? await signer.presign(request, { signingDate: options.signingDate, expiresIn: options.expiresInSeconds ?? 300 })
    : await signer.sign(request, { signingDate: options.signingDate });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { path: query ? `/?${query}` : '/', headers: signed.headers, body: text };
}

const hmacSha256 = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * SigV4 headers for a raw request that sends exactly `headers` (every one of them signed, names
 * lower-cased) and `body` to `path` ('/' and no query), at `nowMs`: an Authorization header and
 * X-Amz-Date. Written apart from the SDK's signer and the router's verifier, so that each checks the others.
 */
export function signRawRequest(
  endpoint: string,
  headers: Record<string, string | number>,
  body: Buffer,
  credentials: TestCredentials,
  nowMs = Date.now(),
  region = 'us-east-1',
): Record<string, string> {
  const amzDate = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const all = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) all.set(name.toLowerCase(), String(value));
  all.set('host', new URL(endpoint).host);
  all.set('x-amz-date', amzDate);
  all.delete('authorization');
  const names = [...all.keys()].sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${all.get(n)!.trim().replace(/\s+/g, ' ')}`), '', names.join(';'), createHash('sha256').update(body).digest('hex')].join('\n');
  const scope = `${date}/${region}/dynamodb/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmacSha256(hmacSha256(hmacSha256(hmacSha256(`AWS4${credentials.secretAccessKey}`, date), region), 'dynamodb'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
