import fs from 'node:fs';
import type https from 'node:https';
import tls from 'node:tls';
import type { Logger } from '@triad/observability';
import type { Environment, TimerHandle } from '@triad/runtime';

/** How often the certificate and key files are checked for a change: a renewal is picked up within this. */
export const TLS_RELOAD_INTERVAL_MS_DEFAULT = 10_000;

/** The HTTPS API's certificate chain and key, as PEM files (cert-manager's tls.crt and tls.key, say). */
export interface HttpTlsFiles {
  certFile: string;
  keyFile: string;
}

export function readHttpTls(files: HttpTlsFiles): { cert: Buffer; key: Buffer } {
  const pair = { cert: fs.readFileSync(files.certFile), key: fs.readFileSync(files.keyFile) };
  // Throws when the key does not match the certificate: a half-written renewal is not served.
  tls.createSecureContext(pair);
  return pair;
}

function fingerprint(files: HttpTlsFiles): string {
  const stamp = (file: string) => {
    const stat = fs.statSync(file);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  };
  return `${stamp(files.certFile)}|${stamp(files.keyFile)}`;
}

/**
 * Serves renewed certificates without a restart: polls the files' modification stamps (mounted
 * Secrets change by a symlink swap, which file watchers miss) and, when they change and the new
 * pair is valid, swaps the server's secure context. New connections get the new certificate;
 * open ones keep theirs. A pair that does not load is logged and the old one kept.
 */
export class TlsReloader {
  private timer: TimerHandle | undefined;
  private seen: string;
  /** Times a new certificate was taken up, for tests and logs. */
  reloads = 0;

  constructor(
    private readonly server: https.Server,
    private readonly files: HttpTlsFiles,
    private readonly log: Logger,
    private readonly env: Environment,
    private readonly intervalMs = TLS_RELOAD_INTERVAL_MS_DEFAULT,
  ) {
    this.seen = fingerprint(files);
  }

  start(): void {
    this.timer = this.env.setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.env.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads if the files changed since last seen; true when the new pair is now served. */
  check(): boolean {
    let now: string;
    try {
      now = fingerprint(this.files);
    } catch (error) {
      this.log.warn('TLS certificate files unreadable; keeping the current certificate', { error: String(error) });
      return false;
    }
    if (now === this.seen) return false;
    try {
      const pair = readHttpTls(this.files);
      this.server.setSecureContext(pair);
      this.seen = now;
      this.reloads++;
      this.log.info('TLS certificate reloaded', { certFile: this.files.certFile });
      return true;
    } catch (error) {
      // Not marked seen: the next check tries again (the key may still be being written).
      this.log.warn('new TLS certificate does not load; keeping the current one', { error: String(error) });
      return false;
    }
  }
}
