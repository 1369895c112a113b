export * from './cluster-layout';
export * from './cluster-view';
export * from './layout-change';
export * from './limits';
export * from './partition-hash';
export * from './ring';
