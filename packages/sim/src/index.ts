export * from './limits';
export * from './network-faults';
export * from './run-until-settled';
export * from './sim-network';
export * from './sim-storage-connection';
export * from './sim-stream';
export * from './wire-codec';
export * from './sim-cluster';
