import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeyProvider, addDataKey, ensureMasterKeyFile, masterKeyId, openKeyring, parseMasterKey, readKeyring, rotateMasterKey } from '../src';

const aad = Buffer.from('k');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triad-keyring-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FileKeyProvider', () => {
  test('wraps and unwraps a data key under a context', async () => {
    const provider = new FileKeyProvider(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, 'triad data key 1');
    expect(wrapped.masterKeyId).toBe(provider.currentKeyId);
    expect(Buffer.from(wrapped.ciphertext, 'base64').includes(dataKey)).toBe(false);
    expect(await provider.unwrap(wrapped, 'triad data key 1')).toEqual(dataKey);
    await expect(provider.unwrap(wrapped, 'triad data key 2')).rejects.toThrow(/another context/);
  });

  test('another master key names the key it needs', async () => {
    const a = new FileKeyProvider(randomBytes(32));
    const b = new FileKeyProvider(randomBytes(32));
    const wrapped = await a.wrap(randomBytes(32), 'c');
    await expect(b.unwrap(wrapped, 'c')).rejects.toThrow(new RegExp(`master key ${a.currentKeyId}`));
  });

  test('master key files: hex or base64, 32 bytes, made once with mode 0600', () => {
    const file = path.join(dir, 'keys', 'master.key');
    expect(ensureMasterKeyFile(file)).toBe(true);
    const first = fs.readFileSync(file, 'utf8');
    expect(ensureMasterKeyFile(file)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(first);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const key = parseMasterKey(first);
    expect(parseMasterKey(key.toString('base64'))).toEqual(key);
    expect(() => parseMasterKey('abcd')).toThrow(/32 bytes/);
    expect(FileKeyProvider.fromFiles(file).currentKeyId).toBe(masterKeyId(key));
  });
});

describe('keyring', () => {
  test('the first open makes a keyring (0600) with one data key; each open counts (the nonce epoch)', async () => {
    const file = path.join(dir, 'keyring.json');
    const provider = new FileKeyProvider(randomBytes(32));
    const sealer = await openKeyring(file, provider);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const sealed = sealer.seal(Buffer.from('hello'), aad);
    expect(readKeyring(file)).toMatchObject({ activeDataKey: 1, opens: 1, dataKeys: [{ id: 1, masterKeyId: provider.currentKeyId }] });
    const again = await openKeyring(file, provider);
    expect(readKeyring(file)!.opens).toBe(2);
    expect(again.open(sealed, aad).toString()).toBe('hello');
  });

  test('master key rotation re-wraps the data keys: old values open under the new master key alone', async () => {
    const file = path.join(dir, 'keyring.json');
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealed = (await openKeyring(file, new FileKeyProvider(oldKey))).seal(Buffer.from('before rotation'), aad);
    const before = readKeyring(file)!;
    const result = await rotateMasterKey(file, new FileKeyProvider(newKey, [oldKey]));
    expect(result).toEqual({ rewrapped: 1, from: [masterKeyId(oldKey)], to: masterKeyId(newKey) });
    const after = readKeyring(file)!;
    expect(after.dataKeys[0].masterKeyId).toBe(masterKeyId(newKey));
    expect(after.dataKeys[0].ciphertext).not.toBe(before.dataKeys[0].ciphertext);
    const reopened = await openKeyring(file, new FileKeyProvider(newKey));
    expect(reopened.open(sealed, aad).toString()).toBe('before rotation');
    await expect(openKeyring(file, new FileKeyProvider(oldKey))).rejects.toThrow(/master key/);
  });

  test('rotation without the old key changes nothing', async () => {
    const file = path.join(dir, 'keyring.json');
    await openKeyring(file, new FileKeyProvider(randomBytes(32)));
    const before = fs.readFileSync(file, 'utf8');
    await expect(rotateMasterKey(file, new FileKeyProvider(randomBytes(32)))).rejects.toThrow(/master key/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  test('a new data key seals new values; values under the old one still open', async () => {
    const file = path.join(dir, 'keyring.json');
    const provider = new FileKeyProvider(randomBytes(32));
    const old = (await openKeyring(file, provider)).seal(Buffer.from('old'), aad);
    expect(await addDataKey(file, provider)).toBe(2);
    const sealer = await openKeyring(file, provider);
    expect(sealer.activeDataKeyId).toBe(2);
    expect(sealer.seal(Buffer.from('new'), aad).readUInt32BE(2)).toBe(2);
    expect(sealer.open(old, aad).toString()).toBe('old');
  });

  test('a corrupt keyring is refused whole', async () => {
    const file = path.join(dir, 'keyring.json');
    const provider = new FileKeyProvider(randomBytes(32));
    for (const text of ['{', '{"format":2}', JSON.stringify({ format: 1, activeDataKey: 3, opens: 0, dataKeys: [{ id: 1, masterKeyId: 'x', ciphertext: 'y' }] })]) {
      fs.writeFileSync(file, text);
      await expect(openKeyring(file, provider)).rejects.toThrow(/not a Triad keyring/);
    }
  });

  test('a wrapped data key moved under another id does not unwrap', async () => {
    const file = path.join(dir, 'keyring.json');
    const provider = new FileKeyProvider(randomBytes(32));
    await openKeyring(file, provider);
    await addDataKey(file, provider);
    const keyring = readKeyring(file)!;
    [keyring.dataKeys[0].ciphertext, keyring.dataKeys[1].ciphertext] = [keyring.dataKeys[1].ciphertext, keyring.dataKeys[0].ciphertext];
    fs.writeFileSync(file, JSON.stringify(keyring));
    await expect(openKeyring(file, provider)).rejects.toThrow(/another context/);
  });
});
