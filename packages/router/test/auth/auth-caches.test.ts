/**
 * What verification and authorization keep between requests — the parsed Authorization header
 * prefix, the VerificationKey of each key, the last signing key, each key's compiled policies —
 * never outlives what it was made from: a key disabled, a secret replaced or a policy attached,
 * changed or detached (on this router or another) counts from the next request or refresh.
 */
import { AccessDeniedException, InvalidSignatureException, UnrecognizedClientException } from '@triad/model';
import { newMasterKeyText, parseMasterKey } from '@triad/encryption';
import { createLogger } from '@triad/observability';
import type { Environment } from '@triad/runtime';
import { realEnvironment } from '@triad/runtime';
import { signedHeaders } from '@triad/cli';
import { AccessKeyStore } from '../../src/auth/access-key-store';
import { AUTHORIZATION_PREFIXES_CACHED_MAX } from '../../src/auth/auth-limits';
import { EnforcingAuthenticator } from '../../src/auth/authenticator';
import { keyPolicyCallers } from '../../src/auth/key-policy-callers';
import { MasterKeySealer } from '../../src/auth/master-key-sealer';
import type { Principal } from '../../src/auth/principal';
import type { SignedRequest } from '../../src/auth/signed-request';
import { SigningKeyCache } from '../../src/auth/signing-key-cache';
import { itemRequest, resourceArn } from '../../src/authorization';
import { MemoryPartition } from './memory-partition';

const log = createLogger({ nodeId: 'test', zone: 'a', role: 'router' }, 'error');
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const env: Environment = { ...realEnvironment, nowMs: () => NOW };
const URL_ = new URL('http://127.0.0.1:8000/');
const BOOKS = resourceArn({ region: 'us-east-1', accountId: '000000000000' }, 'Books');
const SECRET = 'first-secret-0123456789';

function signed(accessKeyId: string, secret: string, body = '{"TableName":"Books"}', nowMs = NOW): SignedRequest {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(signedHeaders(URL_, 'DynamoDB_20120810.GetItem', body, { accessKeyId, secretAccessKey: secret }, 'us-east-1', nowMs))) headers[name] = [value];
  return { method: 'POST', url: '/', headers, body: Buffer.from(body) };
}

function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

/** Two routers over one system partition: `a` serves the requests, `b` is where an operator changes keys. */
async function routers() {
  const storage = new MemoryPartition();
  const master = new MasterKeySealer(parseMasterKey(newMasterKeyText()));
  const a = new AccessKeyStore(storage, master, log, env);
  const b = new AccessKeyStore(storage, master, log, env);
  const authenticator = new EnforcingAuthenticator(a, 'us-east-1', env);
  a.onChange = (id) => authenticator.signingKeys.forget(id);
  await b.create({ accessKeyId: 'KEYONE', secret: SECRET, name: 'alice', admin: false, source: 'api' });
  await a.refresh();
  return { a, b, authenticator };
}

describe('verification caches', () => {
  test('a key disabled on another router is refused from the refresh on, though this router verified it before; enabled again it verifies', async () => {
    const { a, b, authenticator } = await routers();
    expect(authenticator.authenticate(signed('KEYONE', SECRET)).name).toBe('alice');
    await b.setEnabled('KEYONE', false);
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe('ok'); // not yet refreshed
    await a.refresh();
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe(UnrecognizedClientException.name);
    await b.setEnabled('KEYONE', true);
    await a.refresh();
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe('ok');
  });

  test('a key disabled or deleted on this router is refused at once', async () => {
    const { a, authenticator } = await routers();
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe('ok');
    await a.setEnabled('KEYONE', false);
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe(UnrecognizedClientException.name);
    await a.setEnabled('KEYONE', true);
    await a.delete('KEYONE');
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe(UnrecognizedClientException.name);
  });

  test('a replaced secret: signatures with the old one fail, with the new one verify (same day, same header prefix)', async () => {
    const { a, b, authenticator } = await routers();
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe('ok');
    await b.seed([{ accessKeyId: 'KEYONE', secret: 'second-secret-0123456789', admin: false }]);
    await a.refresh();
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', SECRET)))).toBe(InvalidSignatureException.name);
    expect(outcome(() => authenticator.authenticate(signed('KEYONE', 'second-secret-0123456789')))).toBe('ok');
  });

  test('the signing key cache never answers one secret with the key of another, whichever it served last', () => {
    const cache = new SigningKeyCache();
    const first = cache.signingKey('K', 'secret-1', '20261207', 'us-east-1', 'dynamodb').digestHex('x');
    const second = cache.signingKey('K', 'secret-2', '20261207', 'us-east-1', 'dynamodb').digestHex('x');
    expect(second).not.toBe(first);
    expect(cache.signingKey('K', 'secret-1', '20261207', 'us-east-1', 'dynamodb').digestHex('x')).toBe(first);
    expect(cache.signingKey('K', 'secret-1', '20261208', 'us-east-1', 'dynamodb').digestHex('x')).not.toBe(first);
  });

  test('past its bound the header prefix cache starts over, and every request still verifies on what it says', async () => {
    const storage = new MemoryPartition();
    const store = new AccessKeyStore(storage, new MasterKeySealer(parseMasterKey(newMasterKeyText())), log, env);
    // One key, many days: each day's requests carry another prefix (its credential scope's date).
    await store.create({ accessKeyId: 'KEYTWO', secret: SECRET, name: 'bob', admin: false, source: 'api' });
    const DAY_MS = 24 * 60 * 60 * 1000;
    for (let day = 0; day <= AUTHORIZATION_PREFIXES_CACHED_MAX + 10; day += 1) {
      const at = NOW + day * DAY_MS;
      const authenticator = new EnforcingAuthenticator(store, 'us-east-1', { ...env, nowMs: () => at });
      if (day % 97 === 0 || day > AUTHORIZATION_PREFIXES_CACHED_MAX) {
        expect(outcome(() => authenticator.authenticate(signed('KEYTWO', SECRET, '{}', at)))).toBe('ok');
        // The same prefix with another key's signature: the cached prefix does not make it pass.
        expect(outcome(() => authenticator.authenticate(signed('KEYTWO', 'not-the-secret-0123456789', '{}', at)))).toBe(InvalidSignatureException.name);
      } else {
        authenticator.authenticate(signed('KEYTWO', SECRET, '{}', at));
      }
    }
  });
});

describe('compiled policies', () => {
  const ownItems = (owner: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:*:*:table/Books', Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [owner] } } },
    });
  const alice: Principal = { accessKeyId: 'KEYONE', name: 'alice', admin: false, authenticated: true };
  const req = { socket: { remoteAddress: '127.0.0.1' } } as never;
  const read = (callerFor: ReturnType<typeof keyPolicyCallers>, principal: Principal, owner: string) =>
    outcome(() => callerFor(principal, req).authorize([itemRequest('GetItem', BOOKS, { leadingKey: { S: owner } })]));

  test('the store hands out one parsed list per key until its policies change (the compiled form is kept by it)', async () => {
    const { a, b } = await routers();
    await b.putPolicy('KEYONE', 'own', ownItems('alice'));
    await a.refresh();
    const before = a.policiesOf('KEYONE');
    await a.refresh();
    expect(a.policiesOf('KEYONE')).toBe(before);
    await b.putPolicy('KEYONE', 'own', ownItems('carol'));
    await a.refresh();
    expect(a.policiesOf('KEYONE')).not.toBe(before);
  });

  test('a policy attached, changed and detached on another router counts from the next refresh', async () => {
    const { a, b } = await routers();
    const callerFor = keyPolicyCallers(a, '000000000000', env);
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'bob')]).toEqual(['ok', 'ok']); // no policy: unrestricted
    await b.putPolicy('KEYONE', 'own', ownItems('alice'));
    await a.refresh();
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'bob')]).toEqual(['ok', AccessDeniedException.name]);
    await b.putPolicy('KEYONE', 'own', ownItems('bob'));
    expect(read(callerFor, alice, 'bob')).toBe(AccessDeniedException.name); // not yet refreshed
    await a.refresh();
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'bob')]).toEqual([AccessDeniedException.name, 'ok']);
    await b.deletePolicy('KEYONE', 'own');
    await a.refresh();
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'bob')]).toEqual(['ok', 'ok']);
  });

  test('a policy changed on this router counts at once; the key name in messages and ${aws:username} follows the key', async () => {
    const { a } = await routers();
    const callerFor = keyPolicyCallers(a, '000000000000', env);
    await a.putPolicy('KEYONE', 'own', ownItems('${aws:username}'));
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'bob')]).toEqual(['ok', AccessDeniedException.name]);
    const renamed: Principal = { ...alice, name: 'bob' };
    expect([read(callerFor, renamed, 'alice'), read(callerFor, renamed, 'bob')]).toEqual([AccessDeniedException.name, 'ok']);
    expect(() => callerFor(renamed, req).authorize([itemRequest('GetItem', BOOKS, { leadingKey: { S: 'alice' } })])).toThrow('User: arn:aws:iam::000000000000:user/bob ');
    await a.putPolicy('KEYONE', 'own', ownItems('carol'));
    expect([read(callerFor, alice, 'alice'), read(callerFor, alice, 'carol')]).toEqual([AccessDeniedException.name, 'ok']);
  });
});
