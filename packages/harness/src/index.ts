// A real multi-process cluster on this machine (npm start, the cluster tests, the chaos soak, the fault lab's paths).
export * from './local-cluster';
// Ports: banks per test slot, and the ports a cluster listens on.
export * from './port-claim';
// Waiting on a busy machine, and a DynamoDB client and tables for a test cluster.
export * from './pace';
export * from './eventually';
export * from './sdk-client';
export * from './sigv4';
export * from './tables';
// The chaos engine: workloads, fault injectors, checks, report (see src/chaos/README.md).
export * from './chaos/chaos-run';
export * from './chaos/checks';
export * from './chaos/clock';
export * from './chaos/clock-offsets';
export * from './chaos/cluster-probe';
export * from './chaos/dynamo-register';
export * from './chaos/faults';
export * from './chaos/global-index-workload';
export * from './chaos/history';
export * from './chaos/index-fault';
export * from './chaos/membership-fault';
export * from './chaos/network-faults';
export * from './chaos/ports';
export * from './chaos/prng';
export * from './chaos/report';
export * from './chaos/workload';
