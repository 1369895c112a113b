import { createHash, createHmac } from 'node:crypto';

/**
 * Signs a JSON 1.0 POST to a router with SigV4 (service "dynamodb"), as the AWS SDKs do: the CLI
 * runs where the SDKs are not installed (the container image keeps production dependencies only).
 * The router verifies it with its own code (router/src/auth/), so the two are tested against
 * each other by test-cluster/keys-cli.test.ts.
 */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The headers to send with `body` to `url` (POST /): host, date, target, content type, authorization. */
export function signedHeaders(
  url: URL,
  target: string,
  body: string,
  credentials: SigningCredentials,
  region: string,
  nowMs: number,
): Record<string, string> {
  const amzDate = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256(body)].join('\n');
  const scope = `${date}/${region}/dynamodb/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), 'dynamodb'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
