export * from './format-status';
// The change runner and its gRPC cluster, for tools that run a join or decommission themselves (the chaos soak).
export { runChange, type ChangeCluster, type ChangeIntent, type ChangeListener } from './change-runner';
export { GrpcChangeCluster } from './grpc-cluster';
