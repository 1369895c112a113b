import * as grpc from '@grpc/grpc-js';
import { faultGate } from './fault-gate';
import type { ReadBatch, ReadBatchReply } from './storage-messages';

/**
 * Eventually consistent reads as a stream of batches on one long-lived ReadStream call per storage
 * node, instead of one unary Read call per batch. A unary call costs the router and the storage
 * node a new HTTP/2 stream each, with headers, metadata, a deadline timer and trailers: several
 * times the CPU of a batch message on an open stream (measured with grpc-js on the 2-core machines:
 * ~500 µs against ~100 µs per batch, both sides together). Batches carry an id, and each reply the
 * id of its batch, since a node answers them as its reads complete, not in order. A batch that
 * fails on the node comes back as a reply with the gRPC status a unary Read would have ended
 * with, so callers see the same errors either way.
 */

interface PendingBatch {
  request: ReadBatch;
  call: ReadCall;
  resolve: (reply: ReadBatchReply) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

type ReadCall = grpc.ClientDuplexStream<ReadBatch, ReadBatchReply>;

/** An error shaped like grpc-js's ServiceError, so `isUnreachable` and friends read it the same way. */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

/** The client side: one stream to one node, opened on first use and again after it ends or fails. */
export class ReadStreamClient {
  private call?: ReadCall;
  private readonly pending = new Map<number, PendingBatch>();
  private nextBatchId = 1;
  /** The node predates ReadStream (UNIMPLEMENTED): unary Read calls serve instead. */
  private unsupported = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly address: string,
    /** Each batch must be answered within this, as a unary call's deadline. */
    private readonly deadlineMs: number,
    /** The unary Read call, for nodes without ReadStream. */
    private readonly unaryRead: (request: ReadBatch) => Promise<ReadBatchReply>,
  ) {}

  read(request: ReadBatch): Promise<ReadBatchReply> {
    if (this.unsupported) return this.unaryRead(request);
    if (faultGate.isBlocked(this.address)) {
      return Promise.reject(Object.assign(new Error(`${this.address} is cut off (fault injection)`), { code: grpc.status.UNAVAILABLE }));
    }
    const call = this.call ?? this.openCall();
    const batchId = this.nextBatchId;
    // Ids are never 0 (a reply without one); they wrap long before any batch could still be pending.
    this.nextBatchId = this.nextBatchId >= 0xffff_ffff ? 1 : this.nextBatchId + 1;
    return new Promise<ReadBatchReply>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(batchId), this.deadlineMs);
      this.pending.set(batchId, { request, call, resolve, reject, timer });
      call.write({ keys: request.keys, batchId });
    });
  }

  /** Ends the stream; batches still pending fail as cancelled. */
  close(): void {
    const call = this.call;
    if (!call) return;
    this.call = undefined;
    call.cancel();
    this.failBatchesOf(call, statusError(grpc.status.CANCELLED, 'Read stream closed by the client'));
  }

  private openCall(): ReadCall {
    const call = (this.client as unknown as { ReadStream: () => ReadCall }).ReadStream();
    this.call = call;
    call.on('data', (reply: ReadBatchReply) => this.settle(reply));
    // A stream ends with an error status (node gone, connection lost, cancelled) or, when the node
    // shuts down, with OK once it has answered every batch it took: either way the batches left
    // pending on it will not be answered.
    call.on('error', (error: grpc.ServiceError) => this.ended(call, error));
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) this.ended(call, statusError(grpc.status.UNAVAILABLE, 'Read stream ended by the node'));
    });
    return call;
  }

  private settle(reply: ReadBatchReply): void {
    const batchId = reply.batchId ?? 0;
    const batch = this.pending.get(batchId);
    // A batch whose deadline passed was failed already; its late reply is dropped.
    if (!batch) return;
    this.pending.delete(batchId);
    clearTimeout(batch.timer);
    if (reply.errorCode) batch.reject(statusError(reply.errorCode, reply.errorMessage ?? ''));
    else batch.resolve(reply);
  }

  private ended(call: ReadCall, error: grpc.ServiceError): void {
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
      clearTimeout(batch.timer);
      this.unaryRead(batch.request).then(batch.resolve, batch.reject);
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
    batch.reject(statusError(grpc.status.DEADLINE_EXCEEDED, `Deadline exceeded after ${this.deadlineMs} ms (read stream to ${this.address})`));
    if (this.call === batch.call) this.call = undefined;
    batch.call.cancel();
    this.failBatchesOf(batch.call, statusError(grpc.status.CANCELLED, 'Read stream cancelled after a batch exceeded its deadline'));
  }

  private failBatchesOf(call: ReadCall, error: grpc.ServiceError): void {
    for (const [batchId, batch] of [...this.pending]) {
      if (batch.call !== call) continue;
      this.pending.delete(batchId);
      clearTimeout(batch.timer);
      batch.reject(error);
    }
  }
}

/**
 * The server side: runs each batch of a ReadStream through `read` (the unary Read's handler) as it
 * arrives. `close()` (server shutdown) makes every open stream refuse new batches and end once
 * it has answered those it took, so that a graceful shutdown does not wait for routers to hang up.
 */
export class ReadStreamServer {
  private readonly open = new Set<() => void>();
  private closing = false;

  constructor(private readonly read: (request: ReadBatch) => Promise<ReadBatchReply>) {}

  readonly handler: grpc.handleBidiStreamingCall<ReadBatch, ReadBatchReply> = (call) => {
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
    const reply = (message: ReadBatchReply) => {
      if (!finished) call.write(message);
    };
    this.open.add(endWhenIdle);
    if (this.closing) endWhenIdle();
    call.on('data', (request: ReadBatch) => {
      const batchId = request.batchId ?? 0;
      if (ending) {
        reply({ results: [], batchId, errorCode: grpc.status.UNAVAILABLE, errorMessage: 'The node is shutting down' });
        return;
      }
      inFlight++;
      this.read(request).then(
        (result) => reply({ results: result.results, batchId }),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const code = (error as { grpcCode?: grpc.status }).grpcCode ?? grpc.status.INTERNAL;
          reply({ results: [], batchId, errorCode: code, errorMessage: message });
        },
      ).finally(() => {
        inFlight--;
        if (ending && inFlight === 0) finish();
      });
    });
    // The router half-closed (an old stream replaced): end once its batches are answered.
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
