import type { SimCluster } from '../../src';

/** Lets simulated time pass until every partition has a leader among `by`. */
export async function untilEveryPartitionLed(cluster: SimCluster, by: string[], limitMs = 30_000): Promise<void> {
  const started = cluster.simulator.nowMs;
  while (cluster.simulator.nowMs - started < limitMs) {
    const led = new Set<number>();
    for (const id of by) {
      try {
        for (const p of (await cluster.run(cluster.probe(id).nodeStatus({}))).partitionsLed) led.add(p);
      } catch {
        // not answering: leads nothing we can see
      }
    }
    if (led.size === cluster.layout.partitionCount + 1) return;
    await cluster.advance(250);
  }
  throw new Error(`not every partition had a leader among ${by.join(',')} after ${limitMs} simulated ms`);
}
