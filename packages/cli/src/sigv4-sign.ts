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
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** What stays the same for a second of requests to one operation: everything but the body's hash and the signature. */
interface SecondText {
  /** The canonical request up to the body's hash. */
  canonicalHead: string;
  /** The string to sign up to the canonical request's hash. */
  toSignHead: string;
}

/**
 * A SigV4 signer for one key, region and host, made to sign thousands of requests a second (the
 * bench's load generator shares the machine with the cluster it measures): the signing key is
 * derived once a day, the date formatted once a second, and the text around the two hashes built
 * once a second per operation. A request then costs its two SHA-256s and one HMAC.
 */
export class DynamoDbSigner {
  private key: { date: string; key: Sha256HmacKey } | undefined;
  private second = -1;
  private amzDateText = '';
  private scope = '';
  private readonly texts = new Map<string, SecondText>();

  constructor(
    private readonly credentials: SigningCredentials,
    private readonly region: string,
    /** The Host header as sent (host:port). */
    private readonly host: string,
  ) {}

  /** X-Amz-Date for a time (20261207T100000Z), formatted once a second. */
  amzDate(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.amzDateText = new Date(second * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
      this.scope = `${this.amzDateText.slice(0, 8)}/${this.region}/dynamodb/aws4_request`;
      this.texts.clear();
    }
    return this.amzDateText;
  }

  /** The Authorization header up to its signature, for the second `amzDate(nowMs)` last returned. */
  authorizationPrefix(): string {
    return `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${this.scope}, SignedHeaders=${SIGNED_HEADER_NAMES}, Signature=`;
  }

  /**
   * The signature (hex) of a POST / with `body` to `target`, with the headers `signedHeaders` lists
   * (content-type, host, x-amz-date, x-amz-target), dated the second `amzDate(nowMs)` last returned.
   */
  signature(target: string, body: string): string {
    let text = this.texts.get(target);
    if (text === undefined) {
      text = {
        canonicalHead: `POST\n/\n\ncontent-type:${CONTENT_TYPE}\nhost:${this.host}\nx-amz-date:${this.amzDateText}\nx-amz-target:${target}\n\n${SIGNED_HEADER_NAMES}\n`,
        toSignHead: `AWS4-HMAC-SHA256\n${this.amzDateText}\n${this.scope}\n`,
      };
      this.texts.set(target, text);
    }
    const canonical = text.canonicalHead + sha256Hex(body);
    return this.signingKey().digestHex(text.toSignHead + sha256Hex(canonical));
  }

  private signingKey(): Sha256HmacKey {
    const date = this.amzDateText.slice(0, 8);
    if (this.key?.date !== date) {
      const derive = (key: Buffer | string, data: string) => new Sha256HmacKey(key).digest(data);
      const key = new Sha256HmacKey(derive(derive(derive(derive(`AWS4${this.credentials.secretAccessKey}`, date), this.region), 'dynamodb'), 'aws4_request'));
      this.key = { date, key };
    }
    return this.key.key;
  }
}

/** The last signer used (the CLI signs a few requests with one key; a load generator thousands). */
let lastSigner: { accessKeyId: string; secret: string; region: string; host: string; signer: DynamoDbSigner } | undefined;

/** The headers to send with `body` to `url` (POST /): host, date, target, content type, authorization. */
export function signedHeaders(
  url: URL,
  target: string,
  body: string,
  credentials: SigningCredentials,
  region: string,
  nowMs: number,
): Record<string, string> {
  const host = url.host;
  if (
    lastSigner?.accessKeyId !== credentials.accessKeyId ||
    lastSigner.secret !== credentials.secretAccessKey ||
    lastSigner.region !== region ||
    lastSigner.host !== host
  ) {
    lastSigner = { accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey, region, host, signer: new DynamoDbSigner(credentials, region, host) };
  }
  const { signer } = lastSigner;
  const amzDate = signer.amzDate(nowMs);
  const signature = signer.signature(target, body);
  return {
    'content-type': CONTENT_TYPE,
    host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
    authorization: signer.authorizationPrefix() + signature,
  };
}
