export * from './write-path/apply-item-op';
export * from './storage/record-codec';
export * from './storage/storage-keys';
