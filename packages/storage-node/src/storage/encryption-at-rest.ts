import fs from 'node:fs';
import { keyringPath, openKeyring, type KeyProvider } from '@triad/encryption';
import { sealedEngineFactory } from './sealed-engine';
import type { StorageEngineFactory } from './storage-engine';

/**
 * The node's engine with encryption at rest when it has a key provider (`--master-key-file`): its
 * values sealed under the data keys of `<dataDir>/keyring.json`, which the provider's master key
 * wraps. Without one, values are written plain — but a data directory that has a keyring holds
 * sealed values, so the node refuses to start rather than fail on its first read.
 */
export function engineWithEncryption(engine: StorageEngineFactory, keyProvider: KeyProvider | undefined, onDisk = true): StorageEngineFactory {
  if (keyProvider) return sealedEngineFactory(engine, (dataDir) => openKeyring(keyringPath(dataDir), keyProvider));
  // An engine given by the caller (the simulator's, in memory) has no data directory to look at.
  if (!onDisk) return engine;
  return (init) => {
    if (fs.existsSync(keyringPath(init.dataDir))) {
      throw new Error(`${init.dataDir} is encrypted at rest (it has ${keyringPath(init.dataDir)}): start the node with --master-key-file`);
    }
    return engine(init);
  };
}
