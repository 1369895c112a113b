import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileKeyProvider, addDataKey, keyringPath, readKeyring, rotateMasterKey } from '@triad/encryption';

export const ENCRYPTION_USAGE = `  encryption status [--data-dir DIR ...]
                               each storage node's keyring: data keys, the active one, the master key that wraps them
  encryption rotate-master --master-key-file OLD --new-master-key-file NEW [--data-dir DIR ...]
                               re-wrap every data key under the new master key (no data is rewritten);
                               then give the nodes NEW as --master-key-file
  encryption rotate-data-key --master-key-file KEY [--data-dir DIR ...]
                               add a data key that seals new values from each node's next start
  (--data-dir: a storage node's data directory; default: every ./data/<node>/ with a keyring)`;

/** The storage node data directories to act on: those given, else every child of ./data with a keyring. */
function dataDirs(given: string[] | undefined): string[] {
  if (given?.length) return given;
  const root = path.resolve('data');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(keyringPath(path.join(root, e.name))))
    .map((e) => path.join(root, e.name));
}

/**
 * `triad encryption …`: works on the keyring files in storage nodes' data directories (run it where
 * they are: on the node's host, or `kubectl exec` into its pod). Safe while a node runs: a node
 * reads its keyring only when it starts.
 */
export async function runEncryptionCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string', multiple: true },
      'master-key-file': { type: 'string', default: process.env.TRIAD_MASTER_KEY_FILE },
      'new-master-key-file': { type: 'string' },
    },
  });
  const dirs = dataDirs(values['data-dir']);
  if (dirs.length === 0) {
    console.error('no storage node data directory with a keyring found: give --data-dir');
    return 2;
  }
  switch (sub) {
    case 'status': {
      for (const dir of dirs) {
        const keyring = readKeyring(keyringPath(dir));
        if (!keyring) {
          console.log(`${dir}: not encrypted (no keyring)`);
          continue;
        }
        const masters = [...new Set(keyring.dataKeys.map((d) => d.masterKeyId))].join(', ');
        console.log(`${dir}: ${keyring.dataKeys.length} data key(s), active ${keyring.activeDataKey}, wrapped by master key ${masters}, opened ${keyring.opens} times`);
      }
      return 0;
    }
    case 'rotate-master': {
      if (!values['master-key-file'] || !values['new-master-key-file']) {
        console.error('rotate-master needs --master-key-file OLD and --new-master-key-file NEW');
        return 2;
      }
      const provider = FileKeyProvider.fromFiles(values['new-master-key-file'], [values['master-key-file']]);
      for (const dir of dirs) {
        const result = await rotateMasterKey(keyringPath(dir), provider);
        console.log(`${dir}: ${result.rewrapped} data key(s) re-wrapped from master key ${result.from.join(', ')} to ${result.to}`);
      }
      return 0;
    }
    case 'rotate-data-key': {
      if (!values['master-key-file']) {
        console.error('rotate-data-key needs --master-key-file');
        return 2;
      }
      const provider = FileKeyProvider.fromFiles(values['master-key-file']);
      for (const dir of dirs) console.log(`${dir}: data key ${await addDataKey(keyringPath(dir), provider)} seals new values from the node's next start`);
      return 0;
    }
    default:
      console.error(`usage: triad\n${ENCRYPTION_USAGE}`);
      return 2;
  }
}
