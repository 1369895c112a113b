/**
 * The router's parts, for a process that builds a router without its HTTP front (the simulator):
 * `main.ts` wires the same parts for a real process.
 */
export { Catalog } from './catalog/catalog';
export { IndexBuilder } from './catalog/index-builder';
export { IndexReconciler, type ReconcileOutcome } from './catalog/index-reconciler';
export { TableStatistics } from './catalog/table-statistics';
export { GrpcStorageClient } from './cluster/grpc-storage-client';
export { LayoutFollower } from './cluster/layout-follower';
export { NodeHealth } from './cluster/node-health';
export type { StorageClient } from './cluster/storage-client';
export { createOperationRegistry } from './operations';
export type { Operation, OperationRegistry } from './operations/operation';
export type { OperationContext } from './operations/operation-context';
export { createRouterMetrics } from './router-metrics';
export { policyCaller, UNRESTRICTED_CALLER, type Caller, type PolicyPrincipal, type RequestOrigin } from './authorization';
