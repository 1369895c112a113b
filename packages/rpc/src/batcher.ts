/**
 * Coalesces many small requests into one message. A batch leaves at once when fewer than
 * `inFlightMax` batches are outstanding; otherwise requests queue up and leave together when one
 * returns. Under load this carries many operations per gRPC message or per synced write, while a
 * lone request pays no added wait.
 */
export interface BatcherOptions {
  /** Largest number of requests in one batch. */
  batchSizeMax: number;
  /** Batches outstanding at once; 1 keeps batches strictly ordered. */
  inFlightMax: number;
  /**
   * Runs a flush once requests that arrive together have arrived. Default: `setImmediate` (one turn
   * of the event loop); a simulator passes its scheduler.
   */
  defer?: (flush: () => void) => void;
}

interface Pending<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (error: unknown) => void;
}

export class Batcher<Req, Res> {
  private queue: Pending<Req, Res>[] = [];
  private inFlight = 0;
  private flushScheduled = false;

  constructor(
    private readonly sendBatch: (requests: Req[]) => Promise<Res[]>,
    private readonly options: BatcherOptions,
  ) {}

  submit(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.scheduleFlush();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queue.length === 0 || this.inFlight >= this.options.inFlightMax) return;
    this.flushScheduled = true;
    // One turn of the event loop lets requests that arrive together leave together.
    (this.options.defer ?? setImmediate)(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.inFlightMax) {
      const batch = this.queue.splice(0, this.options.batchSizeMax);
      this.inFlight++;
      this.sendBatch(batch.map((p) => p.request)).then(
        (results) => {
          if (results.length !== batch.length) {
            const error = new Error(`batch returned ${results.length} results for ${batch.length} requests`);
            batch.forEach((p) => p.reject(error));
          } else {
            batch.forEach((p, i) => p.resolve(results[i]));
          }
        },
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      ).finally(() => {
        this.inFlight--;
        this.scheduleFlush();
      });
    }
  }
}
