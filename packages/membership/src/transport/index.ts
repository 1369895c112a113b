export * from './grpc-transport';
export * from './transport';
