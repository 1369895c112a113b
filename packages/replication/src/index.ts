export * from './config';
export * from './election-node';
export * from './errors';
export * from './limits';
export * from './messages';
export * from './types';
