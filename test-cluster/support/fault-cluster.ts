/**
 * The jest fixture of a fault test: a test cluster of 16 partitions on a slot, each process reading
 * its own fault file (@triad/harness's NetworkFaults) and, if given, its own clock offset (ClockOffsets),
 * started before the file's tests and stopped, fault files removed, after them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetworkFaults, clusterProcesses, faultFileEnv, patienceMs, type ClockOffsets } from '@triad/harness';
import { startTestCluster, type TestCluster } from './test-cluster';

export interface FaultCluster {
  tc: TestCluster;
  network: NetworkFaults;
}

/** Registers beforeAll/afterAll; the returned function gives the running cluster inside tests. */
export function faultCluster(slot: number, testFile: string, env: Record<string, string>, clocks?: ClockOffsets): () => FaultCluster {
  let fixture: FaultCluster | undefined;
  let faultDir: string | undefined;
  beforeAll(async () => {
    faultDir = fs.mkdtempSync(path.join(os.tmpdir(), `triad-${path.basename(testFile, '.test.ts')}-faults-`));
    const faultFiles = faultFileEnv(faultDir);
    const tc = await startTestCluster(slot, { partitions: 16, env, envFor: (id) => ({ ...faultFiles(id), ...clocks?.envFor(id) }) });
    fixture = { tc, network: new NetworkFaults(faultDir, clusterProcesses(tc.cluster)) };
  }, patienceMs(120_000));
  afterAll(async () => {
    await fixture?.tc.stop();
    if (faultDir) fs.rmSync(faultDir, { recursive: true, force: true });
  }, patienceMs(60_000));
  return () => {
    if (!fixture) throw new Error(`the fault cluster of ${path.basename(testFile)} did not start`);
    return fixture;
  };
}
