import * as grpc from '@grpc/grpc-js';
import { realEnvironment, type Environment, type TimerHandle } from '@triad/runtime';
import { faultGate } from './fault-gate';

/**
 * Batches of a frequent call (reads, item operations, replication, election packets) as messages
 * on one long-lived bidirectional stream per pair of processes, instead of one unary call per
 * batch. A unary call costs both sides a new HTTP/2 stream, with headers, metadata, a deadline
 * timer and trailers: several times the CPU of a message on an open stream (measured with grpc-js
 * on the 2-core machines: ~500 µs against ~100 µs per batch, both sides together). Batches carry an
 * id, and each reply the id of its batch, since a node answers them as they complete, not in
 * order. A batch that fails on the node comes back as a reply with the gRPC status the unary call
 * would have ended with, so callers see the same errors either way.
 */

/** A batch on a stream: the caller's number for it (never 0). */
export interface StreamedRequest {
  batchId?: number;
}

/** A reply on a stream: the batch it answers, and the gRPC status of a batch that failed (0: none). */
export interface StreamedReply {
  batchId?: number;
  errorCode?: number;
  errorMessage?: string;
}

interface PendingBatch<Req, Rep> {
  request: Req;
  call: grpc.ClientDuplexStream<Req, Rep>;
  resolve: (reply: Rep) => void;
  reject: (error: unknown) => void;
  timer: TimerHandle;
}

/** An error shaped like grpc-js's ServiceError, so `isUnreachable` and friends read it the same way. */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

/** The client side: one stream to one node, opened on first use and again after it ends or fails. */
export class BatchStreamClient<Req extends StreamedRequest, Rep extends StreamedReply> {
  private call?: grpc.ClientDuplexStream<Req, Rep>;
  private readonly pending = new Map<number, PendingBatch<Req, Rep>>();
  private nextBatchId = 1;
  /** The node predates this stream (UNIMPLEMENTED): unary calls serve instead. */
  private unsupported = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly address: string,
    /** The stream's method name in the proto (e.g. `ReadStream`). */
    private readonly method: string,
    /** Each batch must be answered within this, as a unary call's deadline. */
    private readonly deadlineMs: number,
    /** The unary call, for nodes without the stream. */
    private readonly unary: (request: Req) => Promise<Rep>,
    /** Times the batches' deadlines. */
    private readonly env: Environment = realEnvironment,
  ) {}

  send(request: Req): Promise<Rep> {
    if (this.unsupported) return this.unary(request);
    const faulted = faultGate.intercept(this.address, this.deadlineMs);
    if (faulted) return faulted;
    const call = this.call ?? this.openCall();
    const batchId = this.nextBatchId;
    // Ids are never 0 (a reply without one); they wrap long before any batch could still be pending.
    this.nextBatchId = this.nextBatchId >= 0xffff_ffff ? 1 : this.nextBatchId + 1;
    return new Promise<Rep>((resolve, reject) => {
      const timer = this.env.setTimeout(() => this.expire(batchId), this.deadlineMs);
      this.pending.set(batchId, { request, call, resolve, reject, timer });
      call.write({ ...request, batchId });
    });
  }

  /** Ends the stream; batches still pending fail as cancelled. */
  close(): void {
    const call = this.call;
    if (!call) return;
    this.call = undefined;
    call.cancel();
    this.failBatchesOf(call, statusError(grpc.status.CANCELLED, `${this.method} closed by the client`));
  }

  private openCall(): grpc.ClientDuplexStream<Req, Rep> {
    const call = (this.client as unknown as Record<string, () => grpc.ClientDuplexStream<Req, Rep>>)[this.method]();
    this.call = call;
    call.on('data', (reply: Rep) => this.settle(reply));
    // A stream ends with an error status (node gone, connection lost, cancelled) or, when the node
    // shuts down, with OK once it has answered every batch it took: either way the batches left
    // pending on it will not be answered.
    call.on('error', (error: grpc.ServiceError) => this.ended(call, error));
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) this.ended(call, statusError(grpc.status.UNAVAILABLE, `${this.method} ended by the node`));
    });
    return call;
  }

  private settle(reply: Rep): void {
    const batchId = reply.batchId ?? 0;
    const batch = this.pending.get(batchId);
    // A batch whose deadline passed was failed already; its late reply is dropped.
    if (!batch) return;
    this.pending.delete(batchId);
    this.env.clearTimeout(batch.timer);
    if (reply.errorCode) batch.reject(statusError(reply.errorCode, reply.errorMessage ?? ''));
    else batch.resolve(reply);
  }

  private ended(call: grpc.ClientDuplexStream<Req, Rep>, error: grpc.ServiceError): void {
    if (this.call === call) this.call = undefined;
    if (error.code !== grpc.status.UNIMPLEMENTED) {
      this.failBatchesOf(call, error);
      return;
    }
    // A node of an older version: its batches, and all later ones, go as unary calls.
    this.unsupported = true;
    for (const [batchId, batch] of [...this.pending]) {
      if (batch.call !== call) continue;
      this.pending.delete(batchId);
      this.env.clearTimeout(batch.timer);
      this.unary(batch.request).then(batch.resolve, batch.reject);
    }
  }

  /**
   * A batch not answered in time fails as DEADLINE_EXCEEDED, like a unary call, and its stream is
   * cancelled: the node is stalled or unreachable, and the caller tries another replica.
   */
  private expire(batchId: number): void {
    const batch = this.pending.get(batchId);
    if (!batch) return;
    this.pending.delete(batchId);
    batch.reject(statusError(grpc.status.DEADLINE_EXCEEDED, `Deadline exceeded after ${this.deadlineMs} ms (${this.method} to ${this.address})`));
    if (this.call === batch.call) this.call = undefined;
    batch.call.cancel();
    this.failBatchesOf(batch.call, statusError(grpc.status.CANCELLED, `${this.method} cancelled after a batch exceeded its deadline`));
  }

  private failBatchesOf(call: grpc.ClientDuplexStream<Req, Rep>, error: grpc.ServiceError): void {
    for (const [batchId, batch] of [...this.pending]) {
      if (batch.call !== call) continue;
      this.pending.delete(batchId);
      this.env.clearTimeout(batch.timer);
      batch.reject(error);
    }
  }
}

/** The message that stands for "the node is shutting down" in `certainlyNotSent`: the batch was not run. */
const SHUTTING_DOWN = 'The node is shutting down';

/**
 * The server side: runs each batch of a stream through `handle` (the unary call's handler) as it
 * arrives. `close()` (server shutdown) makes every open stream refuse new batches and end once
 * it has answered those it took, so that a graceful shutdown does not wait for clients to hang up.
 */
export class BatchStreamServer<Req extends StreamedRequest, Rep extends StreamedReply> {
  private readonly open = new Set<() => void>();
  private closing = false;

  constructor(
    private readonly handle: (request: Req) => Promise<Rep>,
    /** An empty reply, for a batch that failed (its id and status are added). */
    private readonly emptyReply: () => Rep,
  ) {}

  readonly handler: grpc.handleBidiStreamingCall<Req, Rep> = (call) => {
    let inFlight = 0;
    let ending = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.open.delete(endWhenIdle);
      call.end();
    };
    const endWhenIdle = () => {
      ending = true;
      if (inFlight === 0) finish();
    };
    const reply = (message: Rep) => {
      if (!finished) call.write(message);
    };
    const failed = (batchId: number, errorCode: number, errorMessage: string): Rep => ({ ...this.emptyReply(), batchId, errorCode, errorMessage });
    this.open.add(endWhenIdle);
    if (this.closing) endWhenIdle();
    call.on('data', (request: Req) => {
      const batchId = request.batchId ?? 0;
      if (ending) {
        reply(failed(batchId, grpc.status.UNAVAILABLE, SHUTTING_DOWN));
        return;
      }
      inFlight++;
      this.handle(request)
        .then(
          (result) => reply({ ...result, batchId }),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            const code = (error as { grpcCode?: grpc.status }).grpcCode ?? grpc.status.INTERNAL;
            reply(failed(batchId, code, message));
          },
        )
        .finally(() => {
          inFlight--;
          if (ending && inFlight === 0) finish();
        });
    });
    // The client half-closed (an old stream replaced): end once its batches are answered.
    call.on('end', endWhenIdle);
    // Cancelled or broken: nothing more can be sent.
    const gone = () => {
      finished = true;
      this.open.delete(endWhenIdle);
    };
    call.on('cancelled', gone);
    call.on('error', gone);
  };

  close(): void {
    this.closing = true;
    for (const end of [...this.open]) end();
  }
}
