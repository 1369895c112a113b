/** One access key an operator hands the router (a credentials file, or TRIAD_CREDENTIALS). */
export interface SeedCredential {
  accessKeyId: string;
  secret: string;
  admin: boolean;
}

/**
 * Parses a credentials file: one `ACCESS_KEY_ID SECRET_ACCESS_KEY` pair per line, optionally
 * followed by the word `admin`; blank lines and lines starting with '#' are skipped. Throws with
 * the line number on anything else (the secret is never echoed).
 */
export function parseCredentials(text: string, source: string): SeedCredential[] {
  const credentials: SeedCredential[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    if (words.length < 2 || words.length > 3 || (words.length === 3 && words[2] !== 'admin')) {
      throw new Error(`${source}:${i + 1}: expected "ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]"`);
    }
    if (credentials.some((c) => c.accessKeyId === words[0])) throw new Error(`${source}:${i + 1}: access key ${words[0]} appears twice`);
    credentials.push({ accessKeyId: words[0], secret: words[1], admin: words[2] === 'admin' });
  }
  return credentials;
}
