export * from './broadcast-queue';
export * from './config';
export * from './messages';
export * from './swim-member';
export * from './types';
