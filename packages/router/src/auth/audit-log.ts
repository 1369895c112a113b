import fs from 'node:fs';
import type { Logger } from '@triad/observability';
import type { Counter } from 'prom-client';
import { AUDIT_BUFFER_BYTES_MAX } from './auth-limits';
import { isAudited, type AuditEvent, type AuditTableFilter } from './audit-event';

/**
 * Appends audit events as JSON lines to their own file (mode 0600), apart from the process log:
 * operators ship, keep and protect it differently. Writes are buffered by the stream; when the disk
 * falls AUDIT_BUFFER_BYTES_MAX behind, lines are dropped and counted rather than memory growing.
 */
export class AuditLog {
  private readonly stream: fs.WriteStream;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly filter: AuditTableFilter,
    private readonly log: Logger,
    private readonly counters: { written: Counter; dropped: Counter },
  ) {
    this.stream = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.stream.on('error', (error) => {
      if (!this.failed) this.log.error('the audit log cannot be written', { file, error: String(error) });
      this.failed = true;
    });
  }

  record(event: AuditEvent): void {
    if (!isAudited(this.filter, event.tables)) return;
    if (this.failed || this.stream.writableLength > AUDIT_BUFFER_BYTES_MAX) {
      this.counters.dropped.inc();
      return;
    }
    this.stream.write(`${JSON.stringify(event)}\n`);
    this.counters.written.inc();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
