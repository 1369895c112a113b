import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyProvider, WrappedKey } from './key-provider';
import { DATA_KEY_BYTES, DATA_KEYS_MAX, KEYRING_FILE_BYTES_MAX } from './limits';
import { ValueSealer } from './value-sealer';

/**
 * A node's keyring: its data keys, each wrapped by a master key from the key provider, in one small
 * JSON file beside its data (`<dataDir>/keyring.json`, mode 0600). Values are sealed under data
 * keys (envelope encryption), so rotating the master key re-wraps these few keys and rewrites no
 * data; adding a data key makes new values use it while old ones still open under theirs.
 */
export interface KeyringFile {
  format: 1;
  /** The data key that seals new values. */
  activeDataKey: number;
  /** How many times the keyring was opened to seal: the nonce epoch (see ValueSealer). */
  opens: number;
  dataKeys: ({ id: number } & WrappedKey)[];
}

/** Where a node's keyring lives in its data directory. */
export function keyringPath(dataDir: string): string {
  return path.join(dataDir, 'keyring.json');
}

/** Binds a wrapped data key to its id: a wrapped key moved under another id does not unwrap. */
function wrapContext(id: number): string {
  return `triad data key ${id}`;
}

export function readKeyring(file: string): KeyringFile | undefined {
  let text: string;
  try {
    if (fs.statSync(file).size > KEYRING_FILE_BYTES_MAX) throw new Error(`keyring ${file} is larger than ${KEYRING_FILE_BYTES_MAX} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseKeyring(text, file);
}

/** Checks a keyring's shape (a corrupt file is refused whole, never half-used). */
export function parseKeyring(text: string, file = 'keyring'): KeyringFile {
  const bad = (why: string) => new Error(`${file} is not a Triad keyring: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const k = raw as KeyringFile;
  if (typeof k !== 'object' || k === null || k.format !== 1) throw bad('unknown format');
  if (!Number.isSafeInteger(k.opens) || k.opens < 0) throw bad('bad open count');
  if (!Array.isArray(k.dataKeys) || k.dataKeys.length === 0 || k.dataKeys.length > DATA_KEYS_MAX) throw bad(`it must hold 1 to ${DATA_KEYS_MAX} data keys`);
  const ids = new Set<number>();
  for (const d of k.dataKeys) {
    if (!Number.isInteger(d.id) || d.id < 1 || d.id > 0xffffffff || ids.has(d.id)) throw bad('a data key id is not a distinct u32');
    if (typeof d.masterKeyId !== 'string' || typeof d.ciphertext !== 'string') throw bad(`data key ${d.id} is not wrapped`);
    ids.add(d.id);
  }
  if (!ids.has(k.activeDataKey)) throw bad('the active data key is missing');
  return k;
}

/** Replaces the keyring file atomically and durably: a crash leaves the old file or the new, never half of one. */
export function writeKeyring(file: string, keyring: KeyringFile): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(keyring, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

async function newDataKey(id: number, provider: KeyProvider): Promise<{ id: number } & WrappedKey> {
  return { id, ...(await provider.wrap(randomBytes(DATA_KEY_BYTES), wrapContext(id))) };
}

/**
 * Opens a node's keyring for sealing (making one with a first data key if there is none): unwraps
 * every data key through the provider and counts this open (durably, before any value is sealed:
 * the nonce epoch). The caller holds the data directory (RocksDB's lock), so no other process opens
 * the same keyring at once.
 */
export async function openKeyring(file: string, provider: KeyProvider): Promise<ValueSealer> {
  const keyring: KeyringFile = readKeyring(file) ?? { format: 1, activeDataKey: 1, opens: 0, dataKeys: [await newDataKey(1, provider)] };
  const keys = new Map<number, Buffer>();
  for (const d of keyring.dataKeys) keys.set(d.id, await provider.unwrap(d, wrapContext(d.id)));
  keyring.opens++;
  writeKeyring(file, keyring);
  return new ValueSealer(keys, keyring.activeDataKey, keyring.opens);
}

/**
 * Master key rotation: re-wraps every data key under the provider's current master key (the
 * provider must also hold the old one to unwrap). Rewrites only the keyring file, never data.
 * Safe while the node runs (it read its keys when it opened); the node needs the new master key
 * at its next start.
 */
export async function rotateMasterKey(file: string, provider: KeyProvider): Promise<{ rewrapped: number; from: string[]; to: string }> {
  const keyring = readKeyring(file);
  if (!keyring) throw new Error(`no keyring at ${file}`);
  const from = [...new Set(keyring.dataKeys.map((d) => d.masterKeyId))];
  const dataKeys: KeyringFile['dataKeys'] = [];
  for (const d of keyring.dataKeys) {
    const plain = await provider.unwrap(d, wrapContext(d.id));
    dataKeys.push({ id: d.id, ...(await provider.wrap(plain, wrapContext(d.id))) });
  }
  writeKeyring(file, { ...keyring, dataKeys });
  return { rewrapped: dataKeys.length, from, to: provider.currentKeyId };
}

/**
 * Data key rotation: adds a new data key and makes it the one that seals new values (from the
 * node's next start); values sealed under older keys keep opening under them.
 */
export async function addDataKey(file: string, provider: KeyProvider): Promise<number> {
  const keyring = readKeyring(file);
  if (!keyring) throw new Error(`no keyring at ${file}`);
  if (keyring.dataKeys.length >= DATA_KEYS_MAX) throw new Error(`the keyring holds ${DATA_KEYS_MAX} data keys, its maximum`);
  // Unwrapping one proves the provider holds the master key before anything is written.
  await provider.unwrap(keyring.dataKeys[0], wrapContext(keyring.dataKeys[0].id));
  const id = Math.max(...keyring.dataKeys.map((d) => d.id)) + 1;
  writeKeyring(file, { ...keyring, activeDataKey: id, dataKeys: [...keyring.dataKeys, await newDataKey(id, provider)] });
  return id;
}
