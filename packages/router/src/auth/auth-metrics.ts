import { promClient } from '@triad/observability';
import type { Registry } from 'prom-client';

export function createAuthMetrics(registry: Registry) {
  return {
    auditWritten: new promClient.Counter({
      name: 'triad_audit_lines_written_total',
      help: 'Audit log lines handed to the audit file',
      registers: [registry],
    }),
    auditDropped: new promClient.Counter({
      name: 'triad_audit_lines_dropped_total',
      help: 'Audit log lines dropped because the audit file could not be written or fell too far behind (AUDIT_BUFFER_BYTES_MAX)',
      registers: [registry],
    }),
    accessKeys: new promClient.Gauge({
      name: 'triad_access_keys',
      help: 'Access keys in the catalog, by state (enabled, disabled)',
      labelNames: ['state'],
      registers: [registry],
    }),
    accessKeySecrets: new promClient.Gauge({
      name: 'triad_access_key_secrets',
      help: 'Access keys\' secrets by the master key they are sealed under, as this router sees it: current, previous (a rotation under way: re-sealed within seconds), unknown (a key this router does not hold: it cannot open them)',
      labelNames: ['master_key'],
      registers: [registry],
    }),
  };
}
