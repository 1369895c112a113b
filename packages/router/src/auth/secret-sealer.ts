/**
 * Seals small secrets (access keys' secrets) for storage in the catalog. Deliberately small so that
 * the storage node's key provider for encryption at rest (a key file today, Vault or a cloud KMS
 * later) can implement it too and one master key serves both.
 */
export interface SecretSealer {
  /** Identifies the master key new values are sealed under (stored beside them: rotation re-seals what another key sealed). */
  readonly keyId: string;
  /** Ids of the older master keys this sealer still opens but never seals under (a rotation under way). */
  readonly previousKeyIds: readonly string[];
  /** Encrypts and authenticates `plaintext` under the current key, bound to `context` (e.g. the access key id): opened under another context, it fails. */
  seal(plaintext: Buffer, context: string): string;
  /** The plaintext; throws if the value was changed, sealed under a key this sealer does not hold, or for another context. */
  open(sealed: string, context: string): Buffer;
  /** The id of the master key a sealed value needs, read from the value (no key needed); undefined if it is not a sealed value. */
  sealedKeyId(sealed: string): string | undefined;
}
