export * from './diff';
export { DIGEST_LANES, EMPTY_DIGEST, bucketHash32 } from './hash';
export * from './limits';
export * from './merkle-tree';
export * from './reconcile';
export * from './version';
