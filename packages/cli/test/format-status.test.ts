import { formatStatus } from '../src/format-status';

describe('formatStatus', () => {
  it('lists nodes by zone with their state, partitions, hints and disk', () => {
    const text = formatStatus([
      {
        node: { id: 'storage-a-1', zone: 'a', address: '10.0.0.1:7000' },
        status: { nodeId: 'storage-a-1', zone: 'a', partitionsHeld: [0, 1, 2], partitionsLed: [0], hintsPending: 4, diskBytes: 3 * 1024 * 1024, draining: false },
      },
      { node: { id: 'storage-b-1', zone: 'b', address: '10.0.0.2:7000' }, error: 'connect ECONNREFUSED' },
    ]);
    expect(text).toContain('Zone: a');
    expect(text).toMatch(/UN\s+storage-a-1\s+10\.0\.0\.1:7000\s+3\s+1\s+4\s+3\.0 MiB/);
    expect(text).toMatch(/DN\s+storage-b-1/);
    expect(text).toContain('storage-b-1: connect ECONNREFUSED');
  });
});
