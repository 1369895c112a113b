import type { Logger } from '@triad/observability';
import type { Catalog } from '../catalog/catalog';
import type { StorageClient } from '../cluster/storage-client';

/** What operations may use: the cluster (through an interface), the catalog, and settings. */
export interface OperationContext {
  storage: StorageClient;
  catalog: Catalog;
  /** Region and account shown in ARNs. */
  region: string;
  accountId: string;
  log: Logger;
}
