export * from './batcher';
export * from './proto-loader';
export * from './storage-messages';
export * from './storage-service';
export * from './item-op-body';
export * from './fault-gate';
export * from './leadership-contract';
export * from './index-fence-contract';
