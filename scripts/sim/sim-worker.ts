/**
 * One worker thread of `npm run sim`: asks the main thread for a seed, runs it, posts the result
 * (without its trace), and asks again until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SimRunResult } from '@triad/sim';
import { plantedBugsOf, type PlantedBugName } from './sim-options';

export interface WorkerSettings {
  steps: number;
  plantBugs: PlantedBugName[];
  moves: boolean;
  indexes: boolean;
  short: boolean;
}

/** Main thread → worker: the next seed, or undefined when none is left. */
export type WorkerRequest = { seed?: number };
/** Worker → main thread: ready for a seed (first message), or a seed's result. */
export type WorkerReply = { ready: true } | { result: SimRunResult };

process.env.TRIAD_LOG_LEVEL ??= 'error';
// Run as a bundle (sim-bundle.ts): a failed seed's stack then names the TypeScript sources (tsx does this itself).
process.setSourceMapsEnabled(true);
const settings = workerData as WorkerSettings;
const port = parentPort!;
port.on('message', (request: WorkerRequest) => {
  if (request.seed === undefined) {
    port.close();
    return;
  }
  void runSeed({ seed: request.seed, steps: settings.steps, plantedBugs: plantedBugsOf(settings.plantBugs), scenarios: { moves: settings.moves, indexes: settings.indexes }, short: settings.short }).then((result) =>
    port.postMessage({ result } satisfies WorkerReply),
  );
});
port.postMessage({ ready: true } satisfies WorkerReply);
