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

/** The SDK's hash interface over node:crypto (HMAC when given a secret), for the SDK's own signer. */
class NodeSha256 {
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
