import { Sha256HmacKey, sha256Hex } from '@triad/encryption';

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

/** The headers signed, sorted by name as SigV4 requires. */
const SIGNED_HEADER_NAMES = 'content-type;host;x-amz-date;x-amz-target';

/** The last signing key derived (a load generator signs thousands a second with one key and day). */
let lastKey: { secret: string; date: string; region: string; key: Sha256HmacKey } | undefined;

function signingKey(secret: string, date: string, region: string): Sha256HmacKey {
  if (lastKey && lastKey.secret === secret && lastKey.date === date && lastKey.region === region) return lastKey.key;
  const derive = (key: Buffer | string, data: string) => new Sha256HmacKey(key).digest(data);
  const key = new Sha256HmacKey(derive(derive(derive(derive(`AWS4${secret}`, date), region), 'dynamodb'), 'aws4_request'));
  lastKey = { secret, date, region, key };
  return key;
}

/** The last second's X-Amz-Date (formatting a date costs more than the rest of a signature). */
let lastDate = { second: -1, amzDate: '' };

function amzDateOf(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== lastDate.second) lastDate = { second, amzDate: new Date(second * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '') };
  return lastDate.amzDate;
}

/** The headers to send with `body` to `url` (POST /): host, date, target, content type, authorization. */
export function signedHeaders(
  url: URL,
  target: string,
  body: string,
  credentials: SigningCredentials,
  region: string,
  nowMs: number,
): Record<string, string> {
  const amzDate = amzDateOf(nowMs);
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
  };
  const canonical =
    `POST\n/\n\ncontent-type:${headers['content-type']}\nhost:${headers.host}\nx-amz-date:${amzDate}\nx-amz-target:${target}\n\n` +
    `${SIGNED_HEADER_NAMES}\n${sha256Hex(body)}`;
  const scope = `${date}/${region}/dynamodb/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const signature = signingKey(credentials.secretAccessKey, date, region).digest(toSign).toString('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${SIGNED_HEADER_NAMES}, Signature=${signature}`,
  };
}
