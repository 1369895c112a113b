// Cluster tests start real processes and wait for failovers; give each test room.
jest.setTimeout(120_000);
