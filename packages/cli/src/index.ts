export * from './format-status';
// SigV4 signing of a JSON POST to a router (the CLI's admin calls, the benchmark's signed load).
export { DynamoDbSigner, signedHeaders, type SigningCredentials } from './sigv4-sign';
// The change runner and its cluster (over gRPC, or any StorageConnector), for tools that run a join or
// decommission themselves (the chaos soak, the simulator).
export { runChange, type ChangeCluster, type ChangeIntent, type ChangeListener } from './change-runner';
export { GrpcChangeCluster, NodeChangeCluster } from './node-change-cluster';
// Development CA and certificates (triad certs, npm start, the test clusters).
export { CA_KEY_FILE, LOOPBACK_HOSTS, caFiles, ensureLocalCertificates, initCa, issueCertificate } from './certs/cluster-ca';
