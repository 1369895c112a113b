import { Worker } from 'node:worker_threads';
import { runSeed, type SimRunResult } from '@triad/sim';
import { bundleSimWorker, type SimWorkerBundle } from '../sim-bundle';
import type { WorkerReply, WorkerRequest, WorkerSettings } from '../sim-worker';

/** Runs `seed` in a worker thread started from the bundle, as `npm run sim` does. */
function runInWorker(file: string, settings: WorkerSettings, seed: number): Promise<SimRunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: settings });
    let result: SimRunResult | undefined;
    worker.on('message', (reply: WorkerReply) => {
      if ('result' in reply) result = reply.result;
      worker.postMessage((result ? {} : { seed }) satisfies WorkerRequest);
    });
    worker.on('error', reject);
    worker.on('exit', () => (result ? resolve(result) : reject(new Error('the worker exited without a result'))));
  });
}

describe("npm run sim's worker bundle", () => {
  let bundle: SimWorkerBundle;
  beforeAll(() => {
    process.env.TRIAD_LOG_LEVEL ??= 'error'; // as the worker sets it
    bundle = bundleSimWorker();
  });
  afterAll(() => bundle.dispose());

  it('runs the same simulation as the TypeScript sources: a seed ends as it does in this thread', async () => {
    const settings: WorkerSettings = { steps: 6, plantBugs: [], moves: false, indexes: false, short: true };
    const [bundled, here] = await Promise.all([runInWorker(bundle.file, settings, 5), runSeed({ seed: 5, steps: 6, short: true })]);
    expect(bundled.failures).toEqual([]);
    expect(bundled).toEqual(here);
    expect(bundled.operations).toBeGreaterThan(0);
  }, 120_000);
});
