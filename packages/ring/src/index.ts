export * from './cluster-layout';
export * from './limits';
export * from './partition-hash';
export * from './ring';
