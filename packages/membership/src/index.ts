export * from './limits';
export * from './membership-agent';
export * from './swim';
export * from './transport';
export * from './observe-membership';
