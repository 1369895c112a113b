/**
 * `enforce`: every request's SigV4 signature is verified against the cluster's access keys.
 * `open`: any credentials are accepted (a request must still carry some), as DynamoDB Local does.
 */
export type AuthMode = 'enforce' | 'open';

/** Whether a listen address only takes connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The mode a router runs in: `enforce` unless asked otherwise on a loopback address, where `open`
 * is the default (the laptop cluster needs no setup). `open` on any other address is refused
 * unless the operator says `insecureOpen` (--auth-open-insecure): anyone on the network could then
 * read and write everything.
 */
export function resolveAuthMode(options: { requested?: string; host: string; insecureOpen: boolean }): AuthMode {
  const requested = options.requested?.trim() || undefined;
  if (requested !== undefined && requested !== 'enforce' && requested !== 'open') {
    throw new Error(`--auth must be enforce or open, not '${requested}'`);
  }
  const loopback = isLoopback(options.host);
  const mode: AuthMode = requested ?? (loopback ? 'open' : 'enforce');
  if (mode === 'open' && !loopback && !options.insecureOpen) {
    throw new Error(
      `--auth open accepts any credentials, and the router listens on ${options.host}, which is not a loopback address: ` +
        'use --auth enforce with access keys, listen on 127.0.0.1, or add --auth-open-insecure if every client on that network may read and write everything',
    );
  }
  return mode;
}
