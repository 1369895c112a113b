import { randomBytes } from 'node:crypto';

/** DynamoDB request ids are 52 upper-case alphanumerics; clients log them, some parse them. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ID_LENGTH = 52;
const COUNTER_DIGITS = 16;

/** Random once per process (unique across routers), then a counter: no crypto call per request. */
const PROCESS_PREFIX = Array.from(randomBytes(ID_LENGTH - COUNTER_DIGITS), (b) => ALPHABET[b % ALPHABET.length]).join('');
let counter = 0;

export function newRequestId(): string {
  return PROCESS_PREFIX + (counter++).toString(36).toUpperCase().padStart(COUNTER_DIGITS, '0');
}
