import { createHash, createHmac } from 'node:crypto';
import { signedHeaders } from '../src/sigv4-sign';

/** SigV4 as AWS's documentation spells it out, with node:crypto's own HMAC: the reference the cached signer must agree with. */
function referenceSignature(headers: Record<string, string>, body: string, secret: string, region: string): string {
  const names = Object.keys(headers).filter((n) => n !== 'authorization').sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), createHash('sha256').update(body).digest('hex')].join('\n');
  const amzDate = headers['x-amz-date'];
  const scope = `${amzDate.slice(0, 8)}/${region}/dynamodb/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, amzDate.slice(0, 8)), region), 'dynamodb'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe("the CLI's SigV4 signer", () => {
  const url = new URL('http://127.0.0.1:8000/');
  const cases = [
    { secret: 'secret-one', region: 'us-east-1', nowMs: Date.UTC(2026, 11, 7, 13, 59, 59, 999), body: '{"TableName":"t"}' },
    { secret: 'secret-one', region: 'us-east-1', nowMs: Date.UTC(2026, 11, 7, 14, 0, 0, 0), body: '{"TableName":"t"}' },
    { secret: 'secret-one', region: 'eu-west-1', nowMs: Date.UTC(2026, 11, 8, 0, 0, 0, 1), body: '{"k":"é€😀"}' },
    { secret: 'secret-two', region: 'eu-west-1', nowMs: Date.UTC(2026, 11, 8, 0, 0, 0, 2), body: '' },
  ];

  test.each(cases)('agrees with the reference for $region at $nowMs (secret $secret)', ({ secret, region, nowMs, body }) => {
    const headers = signedHeaders(url, 'DynamoDB_20120810.GetItem', body, { accessKeyId: 'AKID', secretAccessKey: secret }, region, nowMs);
    expect(headers['x-amz-date']).toBe(new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace(/[-:]|\.\d{3}/g, ''));
    const signature = /Signature=([0-9a-f]{64})$/.exec(headers.authorization)?.[1];
    expect(signature).toBe(referenceSignature(headers, body, secret, region));
    expect(headers.authorization).toContain(`Credential=AKID/${headers['x-amz-date'].slice(0, 8)}/${region}/dynamodb/aws4_request`);
  });
});

describe('DynamoDbSigner', () => {
  test('operations interleaved within a second, and seconds and days going by, each sign as the reference', () => {
    const url = new URL('http://127.0.0.1:8000/');
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret-one' };
    const start = Date.UTC(2026, 11, 7, 23, 59, 58, 500);
    for (let step = 0; step < 8; step++) {
      const nowMs = start + step * 600;
      for (const target of ['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.PutItem', 'DynamoDB_20120810.GetItem']) {
        const body = `{"step":${step},"target":"${target}"}`;
        const headers = signedHeaders(url, target, body, credentials, 'us-east-1', nowMs);
        expect(headers['x-amz-target']).toBe(target);
        expect(/Signature=([0-9a-f]{64})$/.exec(headers.authorization)?.[1]).toBe(referenceSignature(headers, body, credentials.secretAccessKey, 'us-east-1'));
      }
    }
  });
});
