import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLUSTER_USAGE, ClusterUsageError, parseClusterOptions } from '../cluster-options';

describe("npm start's options", () => {
  it('--help and -h ask for the usage text, which names every flag the parser takes', () => {
    expect(parseClusterOptions(['--help'])).toBeUndefined();
    expect(parseClusterOptions(['-h'])).toBeUndefined();
    for (const flag of ['--data-dir', '--port', '--auth', '--credentials', '--grpc-insecure', '--https', '--encryption-at-rest', '--config']) {
      expect(CLUSTER_USAGE).toContain(flag);
    }
  });

  it('takes flags over the defaults', () => {
    const options = parseClusterOptions(['--port', '8123', '--storage-nodes', '6', '--zones', 'x,y,z', '--grpc-insecure'])!;
    expect(options).toMatchObject({ routerPort: 8123, storageNodes: 6, zones: ['x', 'y', 'z'], grpcTls: false });
    expect(path.isAbsolute(options.dataDir)).toBe(true);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--port'], "argument missing"],
    [['--port', 'abc'], "--port takes a whole number from 1 to 65535, not 'abc'"],
    [['--port', '70000'], "--port takes a whole number from 1 to 65535, not '70000'"],
    [['--routers', '1.5'], "--routers takes a whole number"],
    [['--partitions', '48'], '--partitions takes a power of two, not 48'],
    [['--auth', 'maybe'], "--auth must be open or enforce, not 'maybe'"],
    [['--auth', 'enforce'], '--auth enforce needs --credentials FILE'],
    [['--credentials', 'f'], '--credentials seeds the keys of --auth enforce'],
    [['--encryption-at-rest', 'yes'], '--encryption-at-rest (TRIAD_ENCRYPTION_AT_REST) takes on or off'],
  ])('refuses %j with a usage error that says what to change', (argv, message) => {
    expect(() => parseClusterOptions(argv)).toThrow(ClusterUsageError);
    expect(() => parseClusterOptions(argv)).toThrow(message);
  });

  it('refuses a config file that is not JSON, naming the file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-options-')), 'bad.json');
    fs.writeFileSync(file, '{ not json');
    expect(() => parseClusterOptions(['--config', file])).toThrow(`--config ${file}:`);
  });
});
