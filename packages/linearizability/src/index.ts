export * from './check-history';
export * from './history';
export * from './limits';
export * from './model';
export * from './multi-register-model';
export * from './objects';
export * from './wgl';
