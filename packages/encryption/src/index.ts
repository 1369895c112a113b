export type { KeyProvider, WrappedKey } from './key-provider';
export { FileKeyProvider } from './file-key-provider';
export { ensureMasterKeyFile, masterKeyId, newMasterKeyText, parseMasterKey, readMasterKeyFile } from './master-key';
export { gcmOpen, gcmSeal } from './aes-gcm';
export { ValueSealer, isSealed, SEALED_MAGIC, SEALED_OVERHEAD_BYTES } from './value-sealer';
export { addDataKey, keyringPath, openKeyring, parseKeyring, readKeyring, rotateMasterKey, type KeyringFile } from './keyring';
export * from './limits';
export { Sha256HmacKey, sha256Hex } from './sha256-hmac';
