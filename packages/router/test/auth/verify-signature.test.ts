/**
 * SigV4 verification against AWS's published test vectors (the "sig-v4 test suite": key
 * AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service"; and the S3 documentation's
 * GET-object example), then each way a signature must be refused, with DynamoDB's error.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { SigningKeyCache, deriveSigningKey } from '../../src/auth/signing-key-cache';
import { verifySignature, SIGNATURE_MISMATCH_MESSAGE, type VerificationKey } from '../../src/auth/verify-signature';
import { canonicalHeaders } from '../../src/auth/canonical-request';
import type { SignedRequest } from '../../src/auth/signed-request';

const SUITE_KEY: VerificationKey = {
  accessKeyId: 'AKIDEXAMPLE',
  secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  name: 'suite',
  enabled: true,
  admin: false,
};
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const SUITE = { service: 'service', region: 'us-east-1', nowMs: SUITE_NOW };

function request(method: string, url: string, headers: [string, string][], body = ''): SignedRequest {
  const byName: Record<string, string[]> = {};
  for (const [name, value] of headers) (byName[name.toLowerCase()] ??= []).push(value);
  return { method, url, headers: byName, body: Buffer.from(body) };
}

function suiteAuthorization(signedHeaders: string, signature: string): [string, string] {
  return ['Authorization', `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`];
}

const HOST: [string, string] = ['Host', 'example.amazonaws.com'];
const DATE: [string, string] = ['X-Amz-Date', '20150830T123600Z'];

const VECTORS: { name: string; method: string; url: string; headers: [string, string][]; body?: string; signedHeaders: string; signature: string }[] = [
  { name: 'get-vanilla', method: 'GET', url: '/', headers: [HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  { name: 'post-vanilla', method: 'POST', url: '/', headers: [HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
  { name: 'post-vanilla-query', method: 'POST', url: '/?Param1=value1', headers: [HOST, DATE], signedHeaders: 'host;x-amz-date', signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' },
  { name: 'get-vanilla-query-order-value', method: 'GET', url: '/?Param2=value2&Param1=value1', headers: [HOST, DATE], signedHeaders: 'host;x-amz-date', signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' },
  { name: 'post-header-key-case', method: 'POST', url: '/', headers: [HOST, ['MY-HEADER1', 'value1'], DATE], signedHeaders: 'host;my-header1;x-amz-date', signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c' },
  { name: 'post-header-value-case', method: 'POST', url: '/', headers: [HOST, ['My-Header1', 'VALUE1'], DATE], signedHeaders: 'host;my-header1;x-amz-date', signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d' },
  {
    name: 'get-header-key-duplicate',
    method: 'GET',
    url: '/',
    headers: [HOST, ['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1'], DATE],
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    url: '/',
    headers: [HOST, ['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"'], DATE],
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    url: '/',
    headers: [['Content-Type', 'application/x-www-form-urlencoded'], HOST, DATE],
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
];

describe("AWS's SigV4 test suite verifies", () => {
  for (const v of VECTORS) {
    test(v.name, () => {
      const req = request(v.method, v.url, [...v.headers, suiteAuthorization(v.signedHeaders, v.signature)], v.body);
      expect(verifySignature(req, () => SUITE_KEY, new SigningKeyCache(), SUITE)).toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        name: 'suite',
        admin: false,
        authenticated: true,
      });
    });
  }

  test("the S3 documentation's GET object example (x-amz-content-sha256 of the empty body, a Range header)", () => {
    const key = { ...SUITE_KEY, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const req = request('GET', '/test.txt', [
      ['Host', 'examplebucket.s3.amazonaws.com'],
      ['Range', 'bytes=0-9'],
      ['x-amz-content-sha256', createHash('sha256').update('').digest('hex')],
      ['x-amz-date', '20130524T000000Z'],
      [
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      ],
    ]);
    expect(verifySignature(req, () => key, new SigningKeyCache(), { service: 's3', region: 'us-east-1', nowMs: Date.UTC(2013, 4, 24) }).accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  test("the derived signing key of AWS's documentation example (iam, 20120215)", () => {
    expect(deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam').toString('hex')).toBe(
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });
});

/** The SDK's hash interface over node:crypto (HMAC when given a secret), for the SDK's own signer. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Buffer;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const KEY: VerificationKey = { accessKeyId: 'TRIADKEYEXAMPLE00001', secret: 'a-secret-of-forty-characters-0123456789a', name: 'app', enabled: true, admin: false };
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const DYNAMODB = { service: 'dynamodb', region: 'us-east-1', nowMs: NOW };
const BODY = '{"TableName":"t","Key":{"id":{"S":"1"}}}';

function signer(key = KEY, region = 'us-east-1', service = 'dynamodb'): SignatureV4 {
  return new SignatureV4({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secret }, region, service, sha256: NodeSha256 });
}

function sdkRequest(body = BODY, extraHeaders: Record<string, string> = {}) {
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 8000,
    path: '/',
    query: {} as Record<string, string>,
    headers: { host: 'localhost:8000', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', ...extraHeaders },
    body,
  };
}

/** What the router receives of a request the SDK signed (optionally changed on the way). */
function received(signed: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string>; body?: unknown }, body = String(signed.body ?? '')): SignedRequest {
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = [value];
  return { method: signed.method, url: query ? `${signed.path}?${query}` : signed.path, headers, body: Buffer.from(body) };
}

async function signedAt(ms: number, options: { key?: VerificationKey; region?: string; service?: string; body?: string } = {}): Promise<SignedRequest> {
  const signed = await signer(options.key, options.region, options.service).sign(sdkRequest(options.body), { signingDate: new Date(ms) });
  return received(signed);
}

function refusal(req: SignedRequest, keys: VerificationKey[] = [KEY], nowMs = NOW): { name: string; message: string } | 'accepted' {
  try {
    verifySignature(req, (id) => keys.find((k) => k.accessKeyId === id), new SigningKeyCache(), { ...DYNAMODB, nowMs });
    return 'accepted';
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

describe('requests the SDK signed', () => {
  test('verify, with the signed-in principal', async () => {
    expect(refusal(await signedAt(NOW))).toBe('accepted');
  });

  test('a wrong secret: InvalidSignatureException with AWS message', async () => {
    const req = await signedAt(NOW, { key: { ...KEY, secret: 'not-the-secret-not-the-secret-not-the-se' } });
    expect(refusal(req)).toEqual({ name: 'InvalidSignatureException', message: SIGNATURE_MISMATCH_MESSAGE });
  });

  test('the signature compares as bytes: in upper-case hex it verifies; changed in any digit, cut, lengthened or not hex, it does not', async () => {
    const req = await signedAt(NOW);
    const header = req.headers.authorization![0];
    const signature = header.slice(-64);
    const withSignature = (s: string): SignedRequest => ({ ...req, headers: { ...req.headers, authorization: [header.slice(0, -64) + s] } });
    expect(refusal(withSignature(signature.toUpperCase()))).toBe('accepted');
    const mismatch = { name: 'InvalidSignatureException', message: SIGNATURE_MISMATCH_MESSAGE };
    for (const at of [0, 31, 63]) {
      const digit = signature[at] === '0' ? '1' : '0';
      expect(refusal(withSignature(signature.slice(0, at) + digit + signature.slice(at + 1)))).toEqual(mismatch);
      expect(refusal(withSignature(signature.slice(0, at) + 'g' + signature.slice(at + 1)))).toEqual(mismatch);
    }
    for (const other of [signature.slice(0, 63), `${signature}0`, 'x'.repeat(64), `${signature.slice(0, 62)}\u0100\u0130`]) {
      expect(refusal(withSignature(other))).toEqual(mismatch);
    }
  });

  test('an unknown key, or a disabled one: UnrecognizedClientException', async () => {
    const req = await signedAt(NOW);
    expect(refusal(req, [])).toEqual({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    expect(refusal(req, [{ ...KEY, enabled: false }])).toEqual({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
  });

  test('a body changed after signing: InvalidSignatureException', async () => {
    const signed = await signer().sign(sdkRequest(), { signingDate: new Date(NOW) });
    expect(refusal(received(signed, BODY.replace('"1"', '"2"')))).toEqual({ name: 'InvalidSignatureException', message: SIGNATURE_MISMATCH_MESSAGE });
  });

  test('a signed header changed on the way: InvalidSignatureException', async () => {
    const req = await signedAt(NOW);
    req.headers['x-amz-target'] = ['DynamoDB_20120810.DeleteTable'];
    expect(refusal(req)).toMatchObject({ name: 'InvalidSignatureException' });
  });

  test("older than 5 minutes: AWS's 'Signature expired' wording", async () => {
    const req = await signedAt(NOW - 5 * 60_000 - 1_000);
    expect(refusal(req)).toEqual({
      name: 'InvalidSignatureException',
      message: 'Signature expired: 20261207T095459Z is now earlier than 20261207T095500Z (20261207T100000Z - 5 min.)',
    });
    expect(refusal(await signedAt(NOW - 5 * 60_000 + 1_000))).toBe('accepted');
  });

  test("more than 5 minutes ahead: AWS's 'Signature not yet current' wording", async () => {
    const req = await signedAt(NOW + 5 * 60_000 + 1_000);
    expect(refusal(req)).toEqual({
      name: 'InvalidSignatureException',
      message: 'Signature not yet current: 20261207T100501Z is still later than 20261207T100500Z (20261207T100000Z + 5 min.)',
    });
  });

  test('a signature for another service or region', async () => {
    expect(refusal(await signedAt(NOW, { service: 's3' }))).toEqual({ name: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'dynamodb'. " });
    expect(refusal(await signedAt(NOW, { region: 'eu-west-1' }))).toMatchObject({ name: 'InvalidSignatureException' });
  });

  test('a session token is refused, saying why', async () => {
    const signed = await new SignatureV4({
      credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secret, sessionToken: 'token' },
      region: 'us-east-1',
      service: 'dynamodb',
      sha256: NodeSha256,
    }).sign(sdkRequest(), { signingDate: new Date(NOW) });
    expect(refusal(received(signed))).toMatchObject({ name: 'UnrecognizedClientException', message: expect.stringContaining('session tokens') });
  });

  test('an unsigned X-Amz-Target (which picks the operation) is refused', async () => {
    const signed = await signer().sign(sdkRequest(), { signingDate: new Date(NOW), unsignableHeaders: new Set(['x-amz-target']) });
    expect(refusal(received(signed))).toEqual({ name: 'IncompleteSignatureException', message: 'There were headers present in the request which were not signed: x-amz-target' });
  });

  test('unsigned x-amz-* headers are found alike in the raw header lines (any case, repeated) and in the header map', async () => {
    const signed = await signer().sign(sdkRequest(), { signingDate: new Date(NOW) });
    const req = received(signed);
    const rawHeaders = Object.entries(signed.headers).flatMap(([name, value]) => [name, value]);
    expect(refusal({ ...req, rawHeaders })).toBe('accepted');
    const extra = { ...req, headers: { ...req.headers, 'x-amz-foo': ['1', '2'], 'x-amz-': [''], 'x-amzbar': ['3'], 'x-amz-content-sha256': ['UNSIGNED'] } };
    const expected = { name: 'IncompleteSignatureException', message: 'There were headers present in the request which were not signed: x-amz-, x-amz-foo' };
    expect(refusal(extra)).toEqual(expected);
    expect(refusal({ ...extra, rawHeaders: [...rawHeaders, 'X-Amz-Foo', '1', 'x-amz-foo', '2', 'X-AMZ-', '', 'x-amzbar', '3', 'X-Amz-Content-Sha256', 'UNSIGNED'] })).toEqual(expected);
  });

  test('no signature at all: MissingAuthenticationTokenException', () => {
    expect(refusal(received(sdkRequest()))).toEqual({ name: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' });
  });
});

describe('presigned requests', () => {
  test('verify within their lifetime, and expire after it', async () => {
    const presigned = await signer().presign(sdkRequest(), { signingDate: new Date(NOW), expiresIn: 60 });
    const req = received(presigned);
    expect(req.headers.authorization).toBeUndefined();
    expect(refusal(req, [KEY], NOW + 30_000)).toBe('accepted');
    expect(refusal(req, [KEY], NOW + 61_000)).toMatchObject({ name: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired: 20261207T100000Z is now earlier than/) });
  });

  test('a changed body fails', async () => {
    const presigned = await signer().presign(sdkRequest(), { signingDate: new Date(NOW), expiresIn: 60 });
    expect(refusal(received(presigned, '{}'))).toEqual({ name: 'InvalidSignatureException', message: SIGNATURE_MISMATCH_MESSAGE });
  });

  test('a missing parameter: IncompleteSignatureException naming it', () => {
    const req = received(sdkRequest());
    req.url = '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261207T100000Z';
    expect(refusal(req)).toEqual({
      name: 'IncompleteSignatureException',
      message:
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    });
  });
});

describe('malformed Authorization headers: IncompleteSignatureException', () => {
  const cases: [string, string, string | RegExp][] = [
    ['no equal sign', 'AWS4-HMAC-SHA256 Credential', "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential'."],
    [
      'no parameters',
      'AWS4-HMAC-SHA256',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
    ],
    ['another algorithm', 'AWS4-ECDSA-P256-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00', "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'"],
    ['a short credential', 'AWS4-HMAC-SHA256 Credential=KEY/20261207/us-east-1, SignedHeaders=host, Signature=00', /^Credential must have exactly 5 slash-delimited elements/],
    ['host not signed', `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=x-amz-date, Signature=00`, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."],
    [
      'a signed header that is not there',
      `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-missing, Signature=00`,
      "'x-missing' is named as a SignedHeader, but it does not exist in the HTTP request.",
    ],
  ];
  for (const [what, header, message] of cases) {
    test(what, () => {
      const req = received(sdkRequest(), BODY);
      req.headers.authorization = [header];
      req.headers['x-amz-date'] = ['20261207T100000Z'];
      const result = refusal(req);
      expect(result).toMatchObject({ name: 'IncompleteSignatureException', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    });
  }

  test('a date that is not ISO 8601 basic format', () => {
    const req = received(sdkRequest(), BODY);
    req.headers.authorization = [`AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00`];
    req.headers['x-amz-date'] = ['2026-12-07T10:00:00Z'];
    expect(refusal(req)).toMatchObject({ name: 'IncompleteSignatureException', message: expect.stringContaining("Date must be in ISO-8601 'basic format'") });
  });
});

describe('the signing key cache', () => {
  test('derives once per key, day, region and service, and never serves a replaced secret', () => {
    const cache = new SigningKeyCache(2);
    const a = cache.signingKey('K', 's1', '20261207', 'us-east-1', 'dynamodb');
    expect(cache.signingKey('K', 's1', '20261207', 'us-east-1', 'dynamodb')).toBe(a);
    expect(cache.signingKey('K', 's2', '20261207', 'us-east-1', 'dynamodb').digest('x').equals(a.digest('x'))).toBe(false);
    cache.signingKey('K', 's2', '20261208', 'us-east-1', 'dynamodb');
    cache.signingKey('K', 's2', '20261209', 'us-east-1', 'dynamodb');
    expect(cache.size).toBe(2);
    cache.forget('K');
    expect(cache.size).toBe(0);
  });

  test('drops the least recently used key first', () => {
    const cache = new SigningKeyCache(2);
    const first = cache.signingKey('A', 's', '20261207', 'us-east-1', 'dynamodb');
    const second = cache.signingKey('B', 's', '20261207', 'us-east-1', 'dynamodb');
    expect(cache.signingKey('A', 's', '20261207', 'us-east-1', 'dynamodb')).toBe(first);
    expect(cache.signingKey('A', 's', '20261207', 'us-east-1', 'dynamodb')).toBe(first);
    cache.signingKey('C', 's', '20261207', 'us-east-1', 'dynamodb');
    expect(cache.signingKey('A', 's', '20261207', 'us-east-1', 'dynamodb')).toBe(first);
    expect(cache.signingKey('B', 's', '20261207', 'us-east-1', 'dynamodb')).not.toBe(second);
  });
});

describe('canonical header values', () => {
  /** The rule as the regexps apply it to every value (the scan in front of them only skips values they leave alone). */
  const reference = (value: string) => {
    const trimmed = value.trim();
    return /\s\s|[\t\r\n]/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
  };

  test('agree with the regexps applied to every value, for values with and without white space anywhere, ASCII or not', () => {
    const pieces = ['a', 'B', '1', ' ', '  ', '\t', '\r\n', '\u00a0', '\u2003', 'é', ';', '=', '"', '\u0000', '\u007f'];
    let x = 7;
    const random = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const values = ['', ' ', 'a', ' a', 'a ', 'a b', 'a  b', 'attempt=1; max=3', 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1'];
    for (let i = 0; i < 3000; i++) values.push(Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join(''));
    for (const value of values) {
      const request: SignedRequest = { method: 'POST', url: '/', headers: { host: ['h'], 'my-header': [value, value] }, body: Buffer.alloc(0) };
      expect(canonicalHeaders(request, ['host', 'my-header'])).toBe(`host:h\nmy-header:${reference(value)},${reference(value)}\n`);
    }
  });
});
