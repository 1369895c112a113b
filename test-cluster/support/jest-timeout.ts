import { patienceMs } from '@triad/harness';

// Cluster tests start real processes and wait for failovers; give each test room, more on a busy machine.
jest.setTimeout(patienceMs(120_000));
