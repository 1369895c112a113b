export * from './apply-item-op';
export * from './record-codec';
export * from './storage-keys';
