import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MASTER_KEY_BYTES } from './limits';

/**
 * A master key file holds 32 random bytes as 64 hex digits (or base64), e.g. `openssl rand -hex 32`:
 * the same file the routers' access-key secrets are sealed under (docs/security.md), so one key
 * file (one Kubernetes Secret) serves the cluster.
 */
export function parseMasterKey(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  const key = /^[0-9a-fA-F]{64}$/.test(clean) ? Buffer.from(clean, 'hex') : Buffer.from(clean, 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new Error(`a master key file holds ${MASTER_KEY_BYTES} bytes as 64 hex digits or base64 (e.g. \`openssl rand -hex 32\`)`);
  }
  return key;
}

/**
 * A master key's public name: a fingerprint, not the key. Stored beside what the key wrapped, so
 * that the key needed is known (and a wrong key file is named in the error, not just refused).
 */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('triad master key id\n').update(key).digest('hex').slice(0, 16);
}

/** A new master key file's text (64 hex digits and a newline). */
export function newMasterKeyText(): string {
  return `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`;
}

/** Reads a master key file. */
export function readMasterKeyFile(file: string): Buffer {
  try {
    return parseMasterKey(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`master key file ${file}: ${(error as Error).message}`);
  }
}

/**
 * Makes a master key file (mode 0600, in a directory made 0700 if missing) unless one exists: how
 * the local cluster gets its key on first start. Exclusive creation, so two starters racing keep
 * one key. Returns whether it made the file.
 */
export function ensureMasterKeyFile(file: string): boolean {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, newMasterKeyText(), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
