/** The pure parts around verification: modes, credentials files, sealing secrets, audit lines. */
import { resolveAuthMode, isLoopback } from '../../src/auth/auth-mode';
import { parseCredentials } from '../../src/auth/credentials-file';
import { newMasterKeyText, parseMasterKey } from '@triad/encryption';
import { MasterKeySealer } from '../../src/auth/master-key-sealer';
import { isAudited, parseAuditTableFilter, tablesOf } from '../../src/auth/audit-event';
import { OpenAuthenticator } from '../../src/auth/authenticator';
import { startAuth, type AuthComponents } from '../../src/auth/start-auth';

describe('auth mode', () => {
  test('open by default on loopback, enforce on any other address', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(resolveAuthMode({ host, insecureOpen: false })).toBe('open');
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'router-1']) expect(resolveAuthMode({ host, insecureOpen: false })).toBe('enforce');
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
  });

  test('open on a network address needs the insecure flag', () => {
    expect(() => resolveAuthMode({ requested: 'open', host: '0.0.0.0', insecureOpen: false })).toThrow(/--auth-open-insecure/);
    expect(resolveAuthMode({ requested: 'open', host: '0.0.0.0', insecureOpen: true })).toBe('open');
    expect(resolveAuthMode({ requested: 'enforce', host: '127.0.0.1', insecureOpen: false })).toBe('enforce');
    expect(() => resolveAuthMode({ requested: 'none', host: '127.0.0.1', insecureOpen: false })).toThrow(/enforce or open/);
  });
});

describe('credentials files', () => {
  test('one pair per line, an optional admin word, comments and blank lines skipped', () => {
    expect(parseCredentials('# keys\nAKIDONE secretsecretsecret1\n\n  AKIDTWO secretsecretsecret2 admin \n', 'f')).toEqual([
      { accessKeyId: 'AKIDONE', secret: 'secretsecretsecret1', admin: false },
      { accessKeyId: 'AKIDTWO', secret: 'secretsecretsecret2', admin: true },
    ]);
  });

  test('a malformed line is refused with its number, without echoing the secret', () => {
    expect(() => parseCredentials('AKIDONE\n', 'creds')).toThrow('creds:1: expected');
    let message = '';
    try {
      parseCredentials('A s3cr3tvalue0000 root\n', 'creds');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^creds:1/);
    expect(message).not.toContain('s3cr3tvalue0000');
  });
});

describe('the master key sealer', () => {
  const key = parseMasterKey(newMasterKeyText());

  test('round-trips, bound to its context, and fails under another master key', () => {
    const sealer = new MasterKeySealer(key);
    const sealed = sealer.seal(Buffer.from('the secret'), 'KEY1');
    expect(sealed).not.toContain('the secret');
    expect(sealer.open(sealed, 'KEY1').toString()).toBe('the secret');
    expect(() => sealer.open(sealed, 'KEY2')).toThrow();
    expect(() => new MasterKeySealer(parseMasterKey(newMasterKeyText())).open(sealed, 'KEY1')).toThrow(/master key/);
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => sealer.open(tampered, 'KEY1')).toThrow();
  });

  test('with a previous key (a rotation): opens under either, chosen by the id in the value, and seals under the current one', () => {
    const oldKey = parseMasterKey(newMasterKeyText());
    const before = new MasterKeySealer(oldKey);
    const underOld = before.seal(Buffer.from('old secret'), 'KEY1');
    const rotating = new MasterKeySealer(key, [oldKey]);
    expect(rotating.keyId).toBe(new MasterKeySealer(key).keyId);
    expect(rotating.previousKeyIds).toEqual([before.keyId]);
    expect(rotating.open(underOld, 'KEY1').toString()).toBe('old secret');
    const underNew = rotating.seal(Buffer.from('new secret'), 'KEY1');
    expect(rotating.sealedKeyId(underNew)).toBe(rotating.keyId);
    expect(rotating.sealedKeyId(underOld)).toBe(before.keyId);
    expect(rotating.open(underNew, 'KEY1').toString()).toBe('new secret');
    // Sealed under the current key only: the old key alone cannot open what the rotating sealer seals.
    expect(() => before.open(underNew, 'KEY1')).toThrow(/does not hold/);
    expect(new MasterKeySealer(key).open(underNew, 'KEY1').toString()).toBe('new secret');
    // A key neither current nor previous is refused, naming the key it needs.
    const stranger = new MasterKeySealer(parseMasterKey(newMasterKeyText()));
    expect(() => stranger.open(underOld, 'KEY1')).toThrow(before.keyId);
    // Bound to the context under the previous key too.
    expect(() => rotating.open(underOld, 'KEY2')).toThrow();
    // Tampered under either key: refused.
    for (const sealed of [underOld, underNew]) {
      const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect(() => rotating.open(tampered, 'KEY1')).toThrow();
    }
    // A value claiming the current key's id but sealed under the old one fails authentication, not silently.
    const relabelled = underOld.replace(before.keyId, rotating.keyId);
    expect(() => rotating.open(relabelled, 'KEY1')).toThrow();
    // The current key given again as previous stays current and adds nothing.
    expect(new MasterKeySealer(key, [key]).previousKeyIds).toEqual([]);
  });

  test('a previous master key file without a current one is refused at start', async () => {
    const unused = {} as unknown as AuthComponents;
    await expect(startAuth({ mode: 'open', previousMasterKeyFiles: ['/nonexistent/old.key'] }, unused)).rejects.toThrow(/--previous-master-key-file needs --master-key-file/);
  });

  test('key files: hex or base64 of 32 bytes, nothing else', () => {
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseMasterKey('abcd')).toThrow(/32 bytes/);
  });
});

describe('audit lines', () => {
  test('name the tables of single, batch and transactional requests, never their items', () => {
    expect(tablesOf({ TableName: 't', Item: { id: { S: 'card-4111' } } })).toEqual(['t']);
    expect(tablesOf({ RequestItems: { b: [], a: [] } })).toEqual(['a', 'b']);
    expect(tablesOf({ TransactItems: [{ Put: { TableName: 'x', Item: {} } }, { Update: { TableName: 'y' } }] })).toEqual(['x', 'y']);
    expect(tablesOf({ ResourceArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/tagged' })).toEqual(['tagged']);
    expect(tablesOf(undefined)).toEqual([]);
  });

  test('per-table filter: all by default, skip wins, requests without a table always written', () => {
    const all = parseAuditTableFilter(undefined, 'noisy');
    expect(isAudited(all, ['t'])).toBe(true);
    expect(isAudited(all, ['noisy'])).toBe(false);
    expect(isAudited(all, ['noisy', 't'])).toBe(true);
    expect(isAudited(all, [])).toBe(true);
    const only = parseAuditTableFilter('payments', '');
    expect(isAudited(only, ['t'])).toBe(false);
    expect(isAudited(only, ['payments'])).toBe(true);
  });
});

describe('open mode', () => {
  const open = new OpenAuthenticator();
  const request = (headers: Record<string, string[]>, url = '/') => ({ method: 'POST', url, headers, body: Buffer.alloc(0) });

  test('accepts any SigV4-looking credentials, unverified', () => {
    expect(open.authenticate(request({ authorization: ['AWS4-HMAC-SHA256 Credential=anything/20240101/x/y/aws4_request, SignedHeaders=host, Signature=0'] }))).toEqual({
      accessKeyId: 'anything',
      name: 'anonymous',
      admin: true,
      authenticated: false,
    });
    expect(open.authenticate(request({}, '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F1')).accessKeyId).toBe('k');
  });

  test('still wants credentials', () => {
    expect(() => open.authenticate(request({}))).toThrow('Request is missing Authentication Token');
    expect(() => open.authenticate(request({ authorization: ['Bearer x'] }))).toThrow('Request is missing Authentication Token');
  });
});
