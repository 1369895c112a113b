import type { Logger } from '@triad/observability';
import type { Environment } from '@triad/runtime';
import type { Principal } from '../auth/principal';
import type { Catalog } from '../catalog/catalog';
import type { SizeEstimates } from '../catalog/size-estimates';
import type { StorageClient } from '../cluster/storage-client';
import type { Caller } from '../authorization/caller';

/** What operations may use: the cluster (through an interface), the catalog, and settings. */
export interface OperationContext {
  storage: StorageClient;
  catalog: Catalog;
  /** Tables' and indexes' approximate item counts and sizes, counted in the background. */
  statistics: SizeEstimates;
  /** Region and account shown in ARNs. */
  region: string;
  accountId: string;
  log: Logger;
  /** The router's clocks and randomness: creation dates, new table and index ids. */
  env: Environment;
  /** Who sent the request (auth/): set per request by the HTTP layer; absent where nobody asked (the simulator). */
  principal?: Principal;
  /**
   * Who sent this request: operations describe each action they take to it before touching data
   * (UNRESTRICTED_CALLER in open mode). The HTTP server sets it per request.
   */
  caller: Caller;
}
