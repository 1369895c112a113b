/** `triad keys list` as a table: the MASTER KEY column says where a master key rotation stands. */
import { formatKeys } from '../src/keys-command';

const key = { AccessKeyId: 'KEYONE', Name: 'one', Enabled: true, Admin: false, CreatedAt: '2026-12-07T00:00:00.000Z', Source: 'api' };

describe('triad keys list', () => {
  test('each key names the master key its secret is sealed under, marked unless it is the current one', () => {
    const table = formatKeys([
      { ...key, MasterKeyId: 'aaaa000000000000', MasterKey: 'current' },
      { ...key, AccessKeyId: 'KEYTWO', MasterKeyId: 'bbbb000000000000', MasterKey: 'previous' },
      { ...key, AccessKeyId: 'KEYTHREE', MasterKeyId: 'cccc000000000000', MasterKey: 'unknown' },
      { ...key, AccessKeyId: 'KEYOLD' },
    ]).split('\n');
    expect(table[0]).toMatch(/POLICIES\s+MASTER KEY$/);
    expect(table[1]).toMatch(/^KEYONE\s.*\saaaa000000000000$/);
    expect(table[2]).toMatch(/^KEYTWO\s.*\sbbbb000000000000 \(previous\)$/);
    expect(table[3]).toMatch(/^KEYTHREE\s.*\scccc000000000000 \(not held\)$/);
    // A router from before rotation support answers without the field.
    expect(table[4]).toMatch(/^KEYOLD\s.*\s-$/);
  });
});
