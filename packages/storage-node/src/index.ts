export * from './write-path/apply-item-op';
export * from './storage/record-codec';
export * from './storage/storage-keys';
export * from './storage/storage-engine';
export { MemoryDisk } from './storage/memory-disk';
export { MemoryStore, type MemoryStoreHooks, type MemoryStoreStep, type StorageFault, type StorageFaultPoint } from './storage/memory-store';
export { StorageNode, type StorageNodeConfig, type StorageNodeInspection } from './storage-node';
export type { PlantedBugs } from './planted-bugs';
export * from './node-network';
