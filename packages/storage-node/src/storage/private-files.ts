import fs from 'node:fs';

/**
 * A storage node's data (items, logs, hints) is readable by the service user only. The process
 * sets PRIVATE_UMASK at start, so that every file RocksDB and the node create is 0600 and every
 * directory 0700; the data directory itself is made 0700 even when it existed with wider modes,
 * which also closes files created before (a directory without search permission hides them).
 */
export const PRIVATE_UMASK = 0o077;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and parents) as 0700, or narrows an existing one to 0700. */
export function makePrivateDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((fs.statSync(dir).mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Free bytes for an unprivileged user on the filesystem holding `dir` (statfs's bavail). */
export async function freeDiskBytes(dir: string): Promise<number> {
  const stats = await fs.promises.statfs(dir);
  return stats.bavail * stats.bsize;
}
