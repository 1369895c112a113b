import { randomBytes } from 'node:crypto';

/** DynamoDB request ids are 52 upper-case alphanumerics; clients log them, some parse them. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newRequestId(): string {
  const bytes = randomBytes(52);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}
