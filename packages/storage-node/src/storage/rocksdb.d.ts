// The parts of the `rocksdb` package (abstract-leveldown API) that Triad uses; it ships no types.
declare module 'rocksdb' {
  namespace rocksdb {
  type Callback<T = void> = (error: Error | null | undefined, result?: T) => void;
  interface RocksIterator {
    next(callback: (error: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
    end(callback: (error?: Error | null) => void): void;
  }
  interface RocksDatabase {
    open(options: { createIfMissing?: boolean }, callback: (error?: Error | null) => void): void;
    close(callback: (error?: Error | null) => void): void;
    get(key: Buffer, options: { asBuffer: boolean }, callback: (error: Error | null | undefined, value?: Buffer) => void): void;
    getMany(keys: Buffer[], options: { asBuffer: boolean }, callback: (error: Error | null | undefined, values: (Buffer | undefined)[]) => void): void;
    batch(ops: { type: 'put' | 'del'; key: Buffer; value?: Buffer }[], options: { sync: boolean }, callback: (error?: Error | null) => void): void;
    iterator(options: Record<string, unknown>): RocksIterator;
    clear(options: Record<string, unknown>, callback: (error?: Error | null) => void): void;
    approximateSize(start: Buffer, end: Buffer, callback: Callback<number>): void;
    /** A RocksDB property (`rocksdb.estimate-num-keys`, …) as text; empty when RocksDB does not know it. */
    getProperty(property: string): string;
  }
  }
  function rocksdb(location: string): rocksdb.RocksDatabase;
  export = rocksdb;
}
