import * as grpc from '@grpc/grpc-js';

/** A failure as grpc-js reports one, so that `isUnreachable` and `certainlyNotSent` read it the same. */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

/** What the server's handler errors become, as `startStorageServer`'s adapters map them. */
export function handlerStatus(error: unknown): { code: grpc.status; details: string } {
  const details = error instanceof Error ? error.message : String(error);
  return { code: (error as { grpcCode?: grpc.status }).grpcCode ?? grpc.status.INTERNAL, details };
}

/** A stream (one per connection and stream method): FIFO in both directions, cancelled as a whole when a batch expires. */
export class SimStream {
  /** True time of the last message scheduled each way: later ones arrive no sooner (one ordered connection). */
  lastRequestAtMs = 0;
  lastReplyAtMs = 0;
  /** Batches sent and not settled, each with its failure. */
  readonly pending = new Set<(error: grpc.ServiceError) => void>();

  constructor(readonly method: string) {}

  /** The stream ends (a batch expired, or the connection closed): every batch pending on it fails. */
  cancel(details: string): void {
    const failures = [...this.pending];
    this.pending.clear();
    this.lastRequestAtMs = 0;
    this.lastReplyAtMs = 0;
    for (const fail of failures) fail(statusError(grpc.status.CANCELLED, details));
  }
}

