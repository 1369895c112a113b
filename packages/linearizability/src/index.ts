export * from './check-history';
export * from './history';
export * from './limits';
export * from './model';
export * from './wgl';
