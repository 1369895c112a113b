export * from './types';
export * from './errors';
export * from './limits';
export * from './number';
export * from './attribute-value';
export * from './item-size';
export * from './key-codec';
export * from './expressions';
