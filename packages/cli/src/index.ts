export * from './format-status';
