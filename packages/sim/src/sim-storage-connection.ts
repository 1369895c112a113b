import {
  LONG_CALL_DEADLINES_MS,
  type ConnectionDeadlines,
  type StorageNodeConnection,
  type StorageNodeService,
} from '@triad/rpc';
import { SimStream } from './sim-stream';

type Request<M extends keyof StorageNodeService> = Parameters<StorageNodeService[M]>[0];
type Reply<M extends keyof StorageNodeService> = Awaited<ReturnType<StorageNodeService[M]>>;

/** Whoever carries a connection's calls (its process's view of the simulated network). */
export interface StorageCaller {
  callStorage<Req, Rep>(address: string, method: string, request: Req, deadlineMs: number, stream?: SimStream): Promise<Rep>;
}

/**
 * A connection to one storage node on the simulated network, with `StorageNodeClient`'s
 * deadlines: the same calls travel as batches on ordered streams (execute, read, the leader's
 * replicate, election), the rest as unary calls, each bounded by its deadline.
 */
export class SimStorageConnection implements StorageNodeConnection {
  private readonly deadlineMs: number;
  private readonly executeDeadlineMs: number;
  private readonly streams = {
    execute: new SimStream('ExecuteStream'),
    read: new SimStream('ReadStream'),
    replicate: new SimStream('ReplicateStream'),
    election: new SimStream('ElectionStream'),
  };
  private closed = false;

  constructor(
    private readonly caller: StorageCaller,
    readonly address: string,
    deadlines: ConnectionDeadlines,
  ) {
    this.deadlineMs = deadlines.deadlineMs;
    this.executeDeadlineMs = deadlines.executeDeadlineMs ?? deadlines.deadlineMs;
  }

  private call<M extends keyof StorageNodeService>(method: M, request: Request<M>, deadlineMs = this.deadlineMs, stream?: SimStream): Promise<Reply<M>> {
    return this.caller.callStorage(this.address, method, request, deadlineMs, stream);
  }

  execute = (request: Request<'execute'>) => this.call('execute', request, this.executeDeadlineMs, this.streams.execute);
  read = (request: Request<'read'>) => this.call('read', request, this.deadlineMs, this.streams.read);
  readRange = (request: Request<'readRange'>) => this.call('readRange', request);
  replicate = (request: Request<'replicate'>) => this.call('replicate', request);
  replicateOnStream = (request: Request<'replicate'>) => this.call('replicate', request, this.deadlineMs, this.streams.replicate);
  dropTable = (request: Request<'dropTable'>) => this.call('dropTable', request, LONG_CALL_DEADLINES_MS.dropTable);
  ping = (request: Request<'ping'>, deadlineMs?: number) => this.call('ping', request, deadlineMs ?? this.deadlineMs);
  merkleRoots = (request: Request<'merkleRoots'>) => this.call('merkleRoots', request);
  merkleDigests = (request: Request<'merkleDigests'>) => this.call('merkleDigests', request);
  bucketRecords = (request: Request<'bucketRecords'>) => this.call('bucketRecords', request, LONG_CALL_DEADLINES_MS.bucketRecords);
  election = (request: Request<'election'>) => this.call('election', request, this.deadlineMs, this.streams.election);
  storeHints = (request: Request<'storeHints'>) => this.call('storeHints', request);
  nodeStatus = (request: Request<'nodeStatus'>) => this.call('nodeStatus', request);
  repair = (request: Request<'repair'>) => this.call('repair', request, LONG_CALL_DEADLINES_MS.repair);
  drain = (request: Request<'drain'>) => this.call('drain', request);
  getLayout = (request: Request<'getLayout'>, deadlineMs?: number) => this.call('getLayout', request, deadlineMs ?? this.deadlineMs);
  setLayout = (request: Request<'setLayout'>, deadlineMs?: number) => this.call('setLayout', request, deadlineMs ?? this.deadlineMs);
  movePartition = (request: Request<'movePartition'>, deadlineMs: number = LONG_CALL_DEADLINES_MS.movePartition) => this.call('movePartition', request, deadlineMs);
  prefixStats = (request: Request<'prefixStats'>, deadlineMs: number = LONG_CALL_DEADLINES_MS.prefixStats) => this.call('prefixStats', request, deadlineMs);

  /** As StorageNodeClient: batches pending on the streams fail as cancelled; unary calls run on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of Object.values(this.streams)) stream.cancel(`${stream.method} closed by the client (simulated)`);
  }
}
