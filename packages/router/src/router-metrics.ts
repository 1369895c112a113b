import { promClient } from '@triad/observability';
import type { Registry } from 'prom-client';

/** What the HTTP edge reports at each scrape (createHttpEdge fills it in). */
export interface HttpEdgeSnapshot {
  connections: () => Record<string, number>;
  bodyBytesInFlight: () => number;
}

export function createRouterMetrics(registry: Registry) {
  const edge: HttpEdgeSnapshot = { connections: () => ({}), bodyBytesInFlight: () => 0 };
  return {
    edge,
    connections: new promClient.Gauge({
      name: 'triad_router_connections',
      help: 'Client connections held, by state: fresh (no request yet), idle (keep-alive between requests), receiving (a body arriving), executing',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        for (const [state, count] of Object.entries(edge.connections())) this.set({ state }, count);
      },
    }),
    connectionsClosed: new promClient.Counter({
      name: 'triad_router_connections_closed_total',
      help: 'Client connections the router closed itself, by reason (headers_timeout, idle_timeout, request_timeout, evicted at the connection cap, refused at the cap) and the state they were in',
      labelNames: ['reason', 'state'],
      registers: [registry],
    }),
    bodyBytesInFlight: new promClient.Gauge({
      name: 'triad_router_request_body_bytes_in_flight',
      help: 'Request body bytes buffered in memory across requests (bounded by the body budget)',
      registers: [registry],
      collect() {
        this.set(edge.bodyBytesInFlight());
      },
    }),
    requests: new promClient.Counter({
      name: 'triad_router_requests_total',
      help: 'DynamoDB API requests by operation and outcome (ok or the error type)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    latency: new promClient.Histogram({
      name: 'triad_router_request_duration_seconds',
      help: 'DynamoDB API request latency by operation',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    indexBackfillProgress: new promClient.Gauge({
      name: 'triad_index_backfill_progress_ratio',
      help: 'Share of partitions a global secondary index backfill has covered (1 when done)',
      labelNames: ['table', 'index'],
      registers: [registry],
    }),
    staleIndexListRetries: new promClient.Counter({
      name: 'triad_router_stale_index_list_retries_total',
      help: 'Writes a leader refused because this router\'s index list was older than the table\'s index fence; the router caught its catalog up and wrote again (or answered ServiceUnavailable)',
      registers: [registry],
    }),
    gsiReconcilerRepairs: new promClient.Counter({
      name: 'triad_gsi_reconciler_repairs_total',
      help: 'Global index entries the reconciler found wrong and repaired, by kind: missing, stale (old attributes), extra (left behind)',
      labelNames: ['table', 'index', 'kind'],
      registers: [registry],
    }),
    gsiReconcilerProgress: new promClient.Gauge({
      name: 'triad_gsi_reconciler_progress_ratio',
      help: 'Share of the current (or last) reconciliation pass over a global index that is done: its table\'s partitions, then its own',
      labelNames: ['table', 'index'],
      registers: [registry],
    }),
    gsiReconcilerPasses: new promClient.Counter({
      name: 'triad_gsi_reconciler_passes_total',
      help: 'Reconciliation passes over every ACTIVE global index, by outcome (complete, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    tableStatisticsRefreshes: new promClient.Counter({
      name: 'triad_table_statistics_refreshes_total',
      help: 'Background recounts of tables\' item counts and sizes by outcome: complete, incomplete (a partition had no replica to count it; old figures kept), failed',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    tableStatisticsRefreshSeconds: new promClient.Histogram({
      name: 'triad_table_statistics_refresh_seconds',
      help: 'Time one recount of tables\' item counts and sizes took (storage nodes walk their data)',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600],
      registers: [registry],
    }),
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
