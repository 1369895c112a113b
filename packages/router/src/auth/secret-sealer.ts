/**
 * Seals small secrets (access keys' secrets) for storage in the catalog. Deliberately small so that
 * the storage node's key provider for encryption at rest (a key file today, Vault or a cloud KMS
 * later) can implement it too and one master key serves both.
 */
export interface SecretSealer {
  /** Identifies the master key a sealed value needs (stored beside it: rotation re-seals what another key sealed). */
  readonly keyId: string;
  /** Encrypts and authenticates `plaintext`, bound to `context` (e.g. the access key id): opened under another context, it fails. */
  seal(plaintext: Buffer, context: string): string;
  /** The plaintext; throws if the value was changed, sealed under another key, or for another context. */
  open(sealed: string, context: string): Buffer;
}
